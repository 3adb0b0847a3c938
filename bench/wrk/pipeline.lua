-- 16-deep HTTP/1.1 pipelining (RFC 9112 §9.3.2): every write carries 16 complete GET requests.
-- wrk counts the requests in the string returned by request() and waits for all 16 responses
-- before it writes the next batch, so each connection keeps 16 requests in flight.
local depth = 16

init = function(args)
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format("GET", "/")
  end
  req = table.concat(batch)
end

request = function()
  return req
end
