-- POST /upload with a 1 MiB body; the server consumes it and answers its length.
local body = string.rep("x", 1024 * 1024)

-- A static request (no request() function): wrk formats it once and reuses the bytes.
wrk.method = "POST"
wrk.path = "/upload"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = body
