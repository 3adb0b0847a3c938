-- Varied, browser-like traffic: a cycle of distinct GET requests instead of wrk's one repeated
-- request. Each differs in path and query string, User-Agent, Accept, Accept-Language,
-- Accept-Encoding, Cookie and X-Request-Id, with heads of 400–600 bytes (what browsers send).
--
--   wrk -s bench/wrk/varied.lua http://127.0.0.1:PORT/       -- keep-alive, one request per write
--   wrk -s bench/wrk/varied.lua http://127.0.0.1:PORT/ -- 16 -- 16-deep pipelining
--   wrk -s bench/wrk/varied.lua http://127.0.0.1:PORT/h -- 16 1024
--
-- Arguments after `--`: the pipeline depth (default 1) and the number of distinct requests
-- (default 1024). A URL path other than "/" is put in front of every generated path (the
-- benchmark servers answer /h/… with the handler that reads headers and the query).
--
-- Everything is generated in init() from a fixed seed, so every run and every thread has the
-- same set of requests; each thread starts at a different place in the cycle, and each call of
-- request() takes the next entry, so the connections of a thread never send the same sequence
-- in lockstep. Pipelining works as in pipeline.lua (RFC 9112 §9.3.2): every write carries
-- `depth` complete requests, and wrk waits for all their responses before the next write.

local MIN_HEAD = 400
local MAX_HEAD = 600

-- Park–Miller "minimal standard" generator: every product stays below 2^46, exact in a double,
-- so LuaJIT and PUC Lua give the same sequence.
local seed = 20261202
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end
local function pick(list)
  return list[rand(#list) + 1]
end
local HEX = "0123456789abcdef"
local function hex(len)
  local out = {}
  for i = 1, len do
    local k = rand(16) + 1
    out[i] = HEX:sub(k, k)
  end
  return table.concat(out)
end
local function digits(len)
  local out = {}
  for i = 1, len do out[i] = tostring(rand(10)) end
  return table.concat(out)
end

local USER_AGENTS = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
}
local LANGUAGES = {
  "en-US,en;q=0.9",
  "en-GB,en;q=0.9,en-US;q=0.8",
  "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
  "fr-FR,fr;q=0.9,en;q=0.8",
  "ja,en-US;q=0.9,en;q=0.8",
  "es-ES,es;q=0.9",
  "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7",
  "nl",
}
local ENCODINGS = { "gzip, deflate, br", "gzip, deflate, br, zstd", "gzip, deflate" }
local ACCEPT_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
local ACCEPT_API = "application/json, text/plain, */*"
local WORDS = { "shoes", "red+dress", "laptop", "coffee%20grinder", "t%C3%A9l%C3%A9phone", "desk", "usb-c+cable", "garden" }
local CATEGORIES = { "electronics", "home-garden", "books", "fashion", "toys", "sports" }
local SORTS = { "relevance", "price_asc", "price_desc", "newest" }
local SOURCES = { "newsletter", "google", "twitter", "partner" }

-- One target (path and query). Most carry the query parameter `q` the header-reading handler
-- looks at; some have no query at all.
local function target(prefix)
  local kind = rand(8)
  local p
  if kind == 0 then
    p = "/"
  elseif kind == 1 then
    p = "/products/" .. (rand(99999) + 1)
  elseif kind == 2 then
    p = string.format("/api/v1/users/%d/orders?page=%d&limit=%d", rand(50000) + 1, rand(20) + 1, pick({ 20, 50, 100 }))
  elseif kind == 3 then
    p = string.format("/search?q=%s&page=%d&sort=%s", pick(WORDS), rand(10) + 1, pick(SORTS))
  elseif kind == 4 then
    p = string.format("/blog/%d/%s-%s", 2019 + rand(7), pick(CATEGORIES), hex(6))
  elseif kind == 5 then
    p = string.format("/category/%s?q=%s&page=%d&utm_source=%s&utm_medium=email", pick(CATEGORIES), pick(WORDS), rand(30) + 1, pick(SOURCES))
  elseif kind == 6 then
    p = string.format("/static/js/chunk-%s.js", hex(8))
  else
    p = string.format("/api/v2/items?q=%s&ids=%d,%d,%d", pick(WORDS), rand(9999), rand(9999), rand(9999))
  end
  if prefix ~= "" then p = prefix .. p end
  return p, kind
end

local function request_id()
  return string.format("%s-%s-4%s-%s-%s", hex(8), hex(4), hex(3), hex(4), hex(12))
end

-- One complete request head. The Cookie's last entry is padded so that the heads spread over
-- 400–600 bytes instead of clustering at one size.
local function head(host, prefix)
  local path, kind = target(prefix)
  local api = kind == 2 or kind == 7
  local accept = api and ACCEPT_API or (kind == 6 and "*/*" or ACCEPT_PAGE)
  local want = MIN_HEAD + 10 + rand(MAX_HEAD - MIN_HEAD - 20)
  local ga = string.format("_ga=GA1.1.%s.%s; ", digits(10), digits(10))
  local cookie = string.format("sid=%s; theme=%s", hex(24), pick({ "light", "dark" }))
  local lines = {
    "GET " .. path .. " HTTP/1.1",
    "Host: " .. host,
    "Connection: keep-alive",
    "User-Agent: " .. pick(USER_AGENTS),
    "Accept: " .. accept,
    "Accept-Language: " .. pick(LANGUAGES),
    "Accept-Encoding: " .. pick(ENCODINGS),
    "X-Request-Id: " .. request_id(),
    "Cookie: " .. cookie,
  }
  local text = table.concat(lines, "\r\n")
  -- The analytics cookie goes first when it fits (long targets with a long User-Agent leave no room).
  if #text + #ga + 4 <= want then
    lines[#lines] = "Cookie: " .. ga .. cookie
    text = table.concat(lines, "\r\n")
  end
  local pad = want - (#text + #"; prefs=" + 4)
  if pad > 0 then
    text = text .. "; prefs=" .. hex(pad)
  end
  text = text .. "\r\n\r\n"
  if #text < MIN_HEAD or #text > MAX_HEAD then
    error(string.format("varied.lua: a head of %d bytes, outside %d–%d: %s", #text, MIN_HEAD, MAX_HEAD, path))
  end
  return text
end

local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end

-- setup() runs in wrk's main Lua state once per thread: number the threads.
local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

local batches
local count
local next_batch

function init(args)
  local depth = tonumber(args[1]) or 1
  local distinct = tonumber(args[2]) or 1024
  local prefix = wrk.path
  if prefix == "/" then prefix = "" end
  prefix = prefix:gsub("/$", "")
  local host = wrk.headers["Host"]
  local heads = {}
  for i = 1, distinct do heads[i] = head(host, prefix) end
  -- Consecutive groups of `depth` heads, wrapping round, until the first group comes back.
  count = distinct / gcd(distinct, depth)
  batches = {}
  for b = 0, count - 1 do
    local group = {}
    for k = 0, depth - 1 do group[k + 1] = heads[(b * depth + k) % distinct + 1] end
    batches[b + 1] = table.concat(group)
  end
  -- Threads start far apart in the cycle (389 is prime).
  next_batch = ((thread_index or 0) * 389) % count
end

function request()
  next_batch = next_batch + 1
  if next_batch > count then next_batch = 1 end
  return batches[next_batch]
end
