-- wrk script for bench/customers.py: POST /v1/customers (form body) or GET /v1/customers/{id} over an id list.
-- Configured through the environment (wrk passes no options to scripts on its command line in 4.1):
--   BENCH_MODE      "post" | "get"
--   BENCH_AUTH      the value of the Authorization header ("Basic ...")
--   BENCH_IDS_FILE  (get) a file with one customer id per line; each thread cycles over them from its own offset
-- done() prints one JSON line that customers.py parses: requests, seconds, errors, non-2xx, latency percentiles (us).

local mode = os.getenv("BENCH_MODE") or "post"
local auth = os.getenv("BENCH_AUTH") or ""
local counter = 0
local requests = {}
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

function init(args)
  if mode == "get" then
    local path = os.getenv("BENCH_IDS_FILE")
    for line in io.lines(path) do
      if #line > 0 then
        table.insert(requests, wrk.format("GET", "/v1/customers/" .. line, {["Authorization"] = auth}))
      end
    end
    -- start each thread at a different place in the list
    counter = ((thread_no or 1) * 7919) % #requests
  else
    wrk.method = "POST"
    wrk.headers["Authorization"] = auth
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "email=bench%40example.com&name=Bench+Customer&description=load+test&metadata%5Bsource%5D=wrk"
    requests[1] = wrk.format()
  end
end

function request()
  if mode == "get" then
    counter = counter + 1
    if counter > #requests then counter = 1 end
    return requests[counter]
  end
  return requests[1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"bench":1,"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"non_2xx":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
