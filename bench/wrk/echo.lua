-- POST a 4 KB JSON document to the scenario's path (the URL wrk is given): /echo sends it back
-- as received, /json parses it and sends back its serialisation.
local target = 4096

local function document()
  local items = {}
  local size = 20 -- '{"items":[],"pad":""}' without the padding, roughly
  local i = 0
  while size < target - 100 do
    i = i + 1
    local item = string.format('{"id":%d,"name":"item-%d","tags":["bench","wafer"],"active":%s}', i, i, (i % 2 == 0) and "true" or "false")
    items[#items + 1] = item
    size = size + #item + 1
  end
  local body = '{"items":[' .. table.concat(items, ",") .. '],"pad":"'
  body = body .. string.rep("p", target - #body - 2) .. '"}'
  return body
end

local body = document()
assert(#body == target, "echo body is " .. #body .. " bytes")

-- A static request (no request() function): wrk formats it once and reuses the bytes.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body
