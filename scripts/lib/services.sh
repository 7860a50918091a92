# shellcheck shell=bash
# Starts and stops the services the integration tests talk to. Sourced by
# scripts/services and scripts/test, after scripts/setup.
#
# services_start launches, each on a free loopback port and in its own
# process group:
#   - DynamoDB Local (in memory),
#   - maildev (plain SMTP capture with a REST API),
#   - tests/services/smtp_starttls.py (SMTP that requires STARTTLS and AUTH),
#   - tests/services/smtp_replies.py (SMTP that refuses as the addresses ask),
# waits until each answers, and exports the OTP_TEST_* variables the tests
# read. services_stop ends them all; the callers trap it on EXIT, so an error
# or Ctrl-C stops them too, and each service also gets SIGTERM if the shell
# that started it dies.
#
# Functions here return non-zero instead of exiting, so a caller can record
# the failure and still stop what did start.

HARNESS="$OTP_ROOT/tests/services/harness.py"
SERVICES_DIR=""
SERVICES_PIDS=()
SERVICES_FAILED=0

# Picks the Java that runs DynamoDB Local: the one on PATH if it is 17 or
# newer, else a Debian-installed 17+.
services_java() {
  local candidate
  if [[ "$(java_major)" -ge 17 ]]; then
    echo java
    return
  fi
  for candidate in /usr/lib/jvm/java-{17,21}-openjdk-*/bin/java; do
    if [[ -x "$candidate" ]]; then
      echo "$candidate"
      return
    fi
  done
  echo "Java 17 or newer not found; run scripts/setup" >&2
  return 1
}

# A throwaway CA and a certificate for localhost and 127.0.0.1 signed by it;
# the tests trust the CA, as a client trusts a real mail provider's CA.
services_make_cert() {
  local dir="$1"
  cat >"$dir/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = otp test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 -config "$dir/openssl.cnf" -extensions ca "${ec[@]}" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=otp test CA" 2>>"$dir/openssl.log" &&
    openssl req -new -config "$dir/openssl.cnf" "${ec[@]}" \
      -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" 2>>"$dir/openssl.log" &&
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -set_serial "0x$(openssl rand -hex 8)" -days 2 \
      -extfile "$dir/openssl.cnf" -extensions leaf -out "$dir/server.pem" 2>>"$dir/openssl.log" &&
    cat "$dir/server.pem" "$dir/ca.pem" >"$dir/server-chain.pem"
}

# services_spawn NAME -- COMMAND...: starts COMMAND in the background, logging
# to $SERVICES_DIR/NAME.log. Must run in the calling shell (not in $(...)) so
# the service's parent is the shell that will stop it.
services_spawn() {
  local name="$1"
  shift 2
  python3 "$HARNESS" spawn --log "$SERVICES_DIR/$name.log" --cwd "$SERVICES_DIR/$name" -- "$@" &
  SERVICES_PIDS+=($!)
}

services_wait() {
  local name="$1" pid="$2" kind="$3" target="$4"
  python3 "$HARNESS" wait --pid "$pid" --log "$SERVICES_DIR/$name.log" --timeout 120 "$kind" "$target"
}

services_start() {
  services_launch || {
    SERVICES_FAILED=1
    return 1
  }
  log "DynamoDB Local $OTP_TEST_DYNAMODB_ENDPOINT, maildev smtp $OTP_TEST_MAILDEV_SMTP" \
    "api $OTP_TEST_MAILDEV_API, STARTTLS smtp $OTP_TEST_STARTTLS_SMTP," \
    "refusing smtp $OTP_TEST_REPLIES_SMTP; logs in $SERVICES_DIR"
}

services_launch() {
  local java ports dynamodb_port smtp_port web_port starttls_port replies_port
  SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/otp-services.XXXXXX")" || return 1
  mkdir -p "$SERVICES_DIR"/{dynamodb,maildev/tmp,starttls,starttls-mail,replies} || return 1
  java="$(services_java)" || return 1
  [[ -f "$DYNAMODB_HOME/DynamoDBLocal.jar" ]] || {
    echo "DynamoDB Local not found in $DYNAMODB_HOME; run scripts/setup" >&2
    return 1
  }
  [[ -f "$OTP_ROOT/tests/node_modules/maildev/dist/bin/maildev.js" ]] || {
    echo "maildev not found in tests/node_modules; run scripts/setup" >&2
    return 1
  }
  services_make_cert "$SERVICES_DIR/starttls" || {
    echo "could not create the test certificate; see $SERVICES_DIR/starttls/openssl.log" >&2
    return 1
  }
  ports="$(python3 "$HARNESS" free-ports 5)" || return 1
  read -r dynamodb_port smtp_port web_port starttls_port replies_port <<<"$ports"

  # C1-only JIT: the server is up in about half the time, and test runs are
  # too short for the optimizing compiler to pay for itself.
  services_spawn dynamodb -- "$java" "-Djava.library.path=$DYNAMODB_HOME/DynamoDBLocal_lib" \
    -XX:-UsePerfData -XX:TieredStopAtLevel=1 -jar "$DYNAMODB_HOME/DynamoDBLocal.jar" \
    -inMemory -disableTelemetry -port "$dynamodb_port"
  # maildev's file storage defaults to a folder under TMPDIR; one per run
  # keeps parallel runs apart and is removed with the run's directory.
  services_spawn maildev -- env "TMPDIR=$SERVICES_DIR/maildev/tmp" \
    node "$OTP_ROOT/tests/node_modules/maildev/dist/bin/maildev.js" \
    --smtp "$smtp_port" --web "$web_port" --ip 127.0.0.1 --web-ip 127.0.0.1
  services_spawn starttls -- python3 -u "$OTP_ROOT/tests/services/smtp_starttls.py" \
    --host 127.0.0.1 --port "$starttls_port" \
    --cert "$SERVICES_DIR/starttls/server-chain.pem" --key "$SERVICES_DIR/starttls/server.key" \
    --maildir "$SERVICES_DIR/starttls-mail"
  services_spawn replies -- python3 -u "$OTP_ROOT/tests/services/smtp_replies.py" \
    --host 127.0.0.1 --port "$replies_port"

  # The four start in parallel; DynamoDB Local takes longest.
  services_wait dynamodb "${SERVICES_PIDS[0]}" dynamodb "http://127.0.0.1:$dynamodb_port" &&
    services_wait maildev "${SERVICES_PIDS[1]}" http "http://127.0.0.1:$web_port/api/healthz" &&
    services_wait maildev "${SERVICES_PIDS[1]}" smtp "127.0.0.1:$smtp_port" &&
    services_wait starttls "${SERVICES_PIDS[2]}" smtp "127.0.0.1:$starttls_port" &&
    services_wait replies "${SERVICES_PIDS[3]}" smtp "127.0.0.1:$replies_port" ||
    return 1

  export OTP_TEST_SERVICES=1
  export OTP_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$dynamodb_port"
  # The fault tests start a second DynamoDB Local of their own.
  export OTP_TEST_DYNAMODB_HOME="$DYNAMODB_HOME"
  export OTP_TEST_MAILDEV_SMTP="127.0.0.1:$smtp_port"
  export OTP_TEST_MAILDEV_API="http://127.0.0.1:$web_port"
  export OTP_TEST_STARTTLS_SMTP="127.0.0.1:$starttls_port"
  export OTP_TEST_STARTTLS_CA="$SERVICES_DIR/starttls/ca.pem"
  export OTP_TEST_STARTTLS_MAILDIR="$SERVICES_DIR/starttls-mail"
  export OTP_TEST_REPLIES_SMTP="127.0.0.1:$replies_port"
  # DynamoDB Local keeps tables per access key and region.
  export AWS_ACCESS_KEY_ID=test
  export AWS_SECRET_ACCESS_KEY=test
  export AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
}

# Prints the variables as `export` lines a developer can paste into a shell.
services_print_env() {
  local name
  for name in OTP_TEST_SERVICES OTP_TEST_DYNAMODB_ENDPOINT OTP_TEST_MAILDEV_SMTP \
    OTP_TEST_MAILDEV_API OTP_TEST_STARTTLS_SMTP OTP_TEST_STARTTLS_CA OTP_TEST_STARTTLS_MAILDIR \
    OTP_TEST_REPLIES_SMTP \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_EC2_METADATA_DISABLED; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
}

# Marks the run as failed, so services_stop keeps the logs and names them.
services_mark_failed() { SERVICES_FAILED=1; }

# Safe to call more than once and when nothing was started.
services_stop() {
  if ((${#SERVICES_PIDS[@]})); then
    python3 "$HARNESS" stop --timeout 10 "${SERVICES_PIDS[@]}" || SERVICES_FAILED=1
    wait "${SERVICES_PIDS[@]}" 2>/dev/null || true
    SERVICES_PIDS=()
  fi
  [[ -n "$SERVICES_DIR" && -d "$SERVICES_DIR" ]] || return 0
  if ((SERVICES_FAILED)); then
    echo "service logs kept in $SERVICES_DIR:" >&2
    find "$SERVICES_DIR" -maxdepth 1 -name '*.log' -printf '  %p\n' >&2
  else
    rm -rf "$SERVICES_DIR"
  fi
  SERVICES_DIR=""
}
