-- wrk script for bench/run.sh. One script for the four runs, chosen by BENCH_MODE:
--   jiceng-write  POST /api/v1/places {"parent_id": <village>, "name": …}  (a new grid each time)
--   jiceng-read   GET  /api/v1/places/<BENCH_READ_ID>
--   jiceng-file   POST /voice/<village code>?_csrf=… (the resident form, multipart: category, body,
--                 location, contact) with the pre-login `jiceng_csrf` cookie; a new problem each time
--   base-write    POST /insert {"parent_id": <n>, "name": …}
--   base-read     GET  /row/<BENCH_READ_ID>
-- Environment: BENCH_TOKEN (bearer token, jiceng only), BENCH_PARENTS (comma-separated village ids
-- for jiceng-write), BENCH_THREADS (wrk -t, to split the villages between threads), BENCH_READ_ID,
-- BENCH_CODES (comma-separated village codes for jiceng-file), BENCH_CSRF (the pre-login token).
--
-- Grid codes are numbered automatically as MAX(code)+1 under the village, read outside the write
-- transaction, so two concurrent creates under one village can pick the same code (422
-- place.code_taken). Each wrk thread therefore owns its own share of the villages and rotates over
-- them: with 129 villages, 2 threads and 8 connections a thread, a village comes round again only
-- after ~64 requests, long after its previous create committed.
--
-- At the end a machine-readable line is printed:
--   BENCH mode=… requests=… duration_s=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=… socket_errors=…
-- followed by the status codes seen and the first error body, if any.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local function split(s)
   local t = {}
   for v in string.gmatch(s or "", "[^,%s]+") do
      table.insert(t, v)
   end
   return t
end

function init(args)
   mode = os.getenv("BENCH_MODE") or "jiceng-read"
   token = os.getenv("BENCH_TOKEN") or ""
   read_id = os.getenv("BENCH_READ_ID") or "1"
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
   local all = split(os.getenv("BENCH_PARENTS"))
   parents = {}
   for i, p in ipairs(all) do
      if (i - 1) % nthreads == tid then
         table.insert(parents, p)
      end
   end
   if mode == "jiceng-write" and #parents == 0 then
      error("BENCH_PARENTS has no village for thread " .. tid)
   end
   village_codes = split(os.getenv("BENCH_CODES"))
   csrf = os.getenv("BENCH_CSRF") or ""
   if mode == "jiceng-file" and (#village_codes == 0 or csrf == "") then
      error("jiceng-file needs BENCH_CODES and BENCH_CSRF")
   end
   codes = {}
   first_error = ""
   local h = { ["Content-Type"] = "application/json" }
   if token ~= "" then
      h["Authorization"] = "Bearer " .. token
   end
   headers = h
   if mode == "jiceng-read" then
      fixed = wrk.format("GET", "/api/v1/places/" .. read_id, headers)
   elseif mode == "base-read" then
      fixed = wrk.format("GET", "/row/" .. read_id, headers)
   end
end

-- What residents write: a few sentences in Chinese, varied so that jieba and the word index see
-- different texts (the counter makes every report unique).
local complaints = {
   "村口路灯不亮已经一个多星期，晚上出行很不方便，老人孩子容易摔倒",
   "小区门口垃圾桶满了没人清运，天气热味道很大，蚊虫很多",
   "村道上有个大坑，下雨积水，电动车经过容易打滑",
   "自来水最近水压很低，三楼以上早晚用水困难",
   "河边护栏松动，小孩在附近玩耍有安全隐患",
   "广场舞音响太吵，晚上十点以后还在放，影响休息",
}
local places = { "村委会旁边", "二组路口", "文化广场东侧", "老祠堂门口", "" }
local boundary = "----jicengbench7MA4YWxkTrZu0gW"

local function part(name, value)
   return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

local function filing()
   local code = village_codes[(counter - 1) % #village_codes + 1]
   local text = complaints[(counter - 1) % #complaints + 1]
   local body = part("category", "")
      .. part("body", string.format("%s（压测%d-%d）", text, tid, counter))
      .. part("location", places[(counter - 1) % #places + 1])
      -- Every other report leaves a phone, which the store seals.
      .. part("contact", (counter % 2 == 0) and string.format("139%08d", counter % 100000000) or "")
      -- An empty file input, as a browser sends it when no photo is chosen.
      .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\"\r\n"
      .. "Content-Type: application/octet-stream\r\n\r\n\r\n"
      .. "--" .. boundary .. "--\r\n"
   local h = {
      ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
      ["Cookie"] = "jiceng_csrf=" .. csrf,
   }
   return wrk.format("POST", "/voice/" .. code .. "?_csrf=" .. csrf, h, body)
end

function request()
   if fixed then
      return fixed
   end
   counter = counter + 1
   if mode == "jiceng-file" then
      return filing()
   end
   local name = string.format("压测网格%d-%d", tid, counter)
   if mode == "jiceng-write" then
      local parent = parents[(counter - 1) % #parents + 1]
      local body = string.format('{"parent_id":%s,"name":"%s"}', parent, name)
      return wrk.format("POST", "/api/v1/places", headers, body)
   else
      local body = string.format('{"parent_id":%d,"name":"%s"}', counter % 129, name)
      return wrk.format("POST", "/insert", headers, body)
   end
end

function response(status, hdrs, body)
   codes[status] = (codes[status] or 0) + 1
   if status >= 300 and first_error == "" then
      first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
   end
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   local all_codes = {}
   local err_body = ""
   for _, t in ipairs(threads) do
      local c = t:get("codes")
      for k, v in pairs(c) do
         all_codes[k] = (all_codes[k] or 0) + v
      end
      local fe = t:get("first_error")
      if err_body == "" and fe and fe ~= "" then
         err_body = fe
      end
   end
   io.write(string.format(
      "BENCH mode=%s requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
      os.getenv("BENCH_MODE") or "?", summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect + e.read + e.write + e.timeout))
   local keys = {}
   for k in pairs(all_codes) do table.insert(keys, k) end
   table.sort(keys)
   local parts = {}
   for _, k in ipairs(keys) do table.insert(parts, k .. ":" .. all_codes[k]) end
   io.write("STATUS " .. table.concat(parts, " ") .. "\n")
   if err_body ~= "" then
      io.write("FIRST_ERROR " .. err_body .. "\n")
   end
end
