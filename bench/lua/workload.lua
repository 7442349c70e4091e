-- One benchmark workload for wrk.
--
-- Arguments after `--`: method, path, expectation, request file.
--   expectation "200:<marker>": a 200 whose body contains <marker>;
--   expectation "redirect": a 302 or 303.
--   request file: one request a line, "<Cookie header>\t<form body>"; one is
--   picked at random for every request. Empty: no cookie, no body.
-- Every response that misses the expectation is counted, and done() prints
-- one line "BENCH {json}" that bench/load.py reads.

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

local prepared = {}
local wanted_marker = nil
bad_status = 0
missing_marker = 0

local function split(line)
  local tab = string.find(line, "\t", 1, true)
  if tab == nil then
    return line, ""
  end
  return string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
end

function init(args)
  local method, path, expectation, file = args[1], args[2], args[3], args[4]
  if string.sub(expectation, 1, 4) == "200:" then
    wanted_marker = string.sub(expectation, 5)
  end
  if file == nil or file == "" then
    table.insert(prepared, wrk.format(method, path))
  else
    for line in io.lines(file) do
      if line ~= "" then
        local cookie, body = split(line)
        local headers = { ["Cookie"] = cookie }
        if body ~= "" then
          headers["Content-Type"] = "application/x-www-form-urlencoded"
        else
          body = nil
        end
        table.insert(prepared, wrk.format(method, path, headers, body))
      end
    end
  end
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  return prepared[math.random(#prepared)]
end

function response(status, headers, body)
  if wanted_marker == nil then
    if status ~= 302 and status ~= 303 then
      bad_status = bad_status + 1
    end
  elseif status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, wanted_marker, 1, true) == nil then
    missing_marker = missing_marker + 1
  end
end

function done(summary, latency, requests)
  local bad, missing = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad_status")
    missing = missing + thread:get("missing_marker")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bad_status": %d, ' ..
    '"missing_marker": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, bad, missing,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50.0), latency:percentile(99.0), latency.mean, latency.max
  ))
end
