# Sourced by the client-suite scripts: serve_for_suite WORK ADVERTISE [serve flags...]
# builds nothing; it starts "$WORK/gregor" serve on 127.0.0.1:9092 (advertised as
# ADVERTISE:9092, data in $WORK/data, log in $WORK/broker.log), sets $broker to its
# pid and waits until the port accepts connections.
serve_for_suite() {
	local work=$1 advertise=$2
	shift 2
	"$work/gregor" serve "$@" --listen 127.0.0.1:9092 --advertise "$advertise:9092" \
		--http 127.0.0.1:0 --controller-listen 127.0.0.1:0 \
		--data-dir "$work/data" --log-level warn >"$work/broker.log" 2>&1 &
	broker=$!
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null && return 0
		sleep 0.1
	done
	echo "gregor serve did not start; see $work/broker.log" >&2
	return 1
}
