-- wrk script for bench/gateway.sh: one sentiment prediction per request, with the API key when one is given.
wrk.method = "POST"
wrk.body = '{"text": "The support team was quick and friendly, and the fix worked the first time."}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("LATTICE_BENCH_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
