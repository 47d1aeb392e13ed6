# Shell helpers for tests that need the fake LLM server.  Source it.
#
# fake_start [fakellm options]   starts a server on 127.0.0.1, waits for it
#                                to listen (a blocking read of a FIFO, no
#                                sleeping) and sets FAKE_PID, FAKE_PORT and
#                                FAKE_URL.
# fake_stop                      stops it.
# fake_get PATH                  GETs an admin endpoint (/_stats, /_log).
# read_verdicts N                reads fd 3 (a run's stderr with -v, from a
#                                FIFO) until N lines have given a job's
#                                verdict; the last line read is in $line.
# read_until PREFIX              reads fd 3 until a line starts with PREFIX.

fake_start() {
	fake_dir=$(mktemp -d)
	mkfifo "$fake_dir/port"
	"$FAKELLM" --port-file "$fake_dir/port" "$@" >"$fake_dir/log" 2>&1 &
	FAKE_PID=$!
	# Blocks until the server has written its port: no sleeping.
	read -r FAKE_PORT <"$fake_dir/port"
	FAKE_URL="http://127.0.0.1:$FAKE_PORT"
	export FAKE_PID FAKE_PORT FAKE_URL
}

fake_stop() {
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null
	[ -n "${FAKE_PID:-}" ] && wait "$FAKE_PID" 2>/dev/null
	rm -rf "${fake_dir:-/nonexistent}"
	FAKE_PID=
}

fake_get() {
	curl -s --max-time 10 "$FAKE_URL$1"
}

# Writes a prompteval.yml that points every provider at the fake server.
# A base URL of one's own gets a key only from api_key_env, so each names
# its kind's variable (when it is set, the key is sent to the server).
fake_config() {
	cat >"$1" <<CFG
providers:
  openai:
    base_url: $FAKE_URL/v1
    api_key_env: OPENAI_API_KEY
  anthropic:
    base_url: $FAKE_URL
    api_key_env: ANTHROPIC_API_KEY
  gemini:
    base_url: $FAKE_URL
    api_key_env: GEMINI_API_KEY
  ollama:
    base_url: $FAKE_URL
CFG
}

read_verdicts() {
	_left=$1
	while [ "$_left" -gt 0 ] && read -r line <&3; do
		case "$line" in pass*|fail*|error*|skip*) _left=$((_left - 1)) ;; esac
	done
}

read_until() {
	while read -r line <&3; do
		case "$line" in "$1"*) return 0 ;; esac
	done
	return 1
}
