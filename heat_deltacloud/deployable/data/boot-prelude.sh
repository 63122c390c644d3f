# heat-deltacloud boot script (see docs/source/user/deployables.rst).
# Layout, as Audrey's: $AUDREY_DIR/tooling/user/<service>/start and the
# service's files beside it; parameter values in
# $AUDREY_DIR/params/<service>/<parameter>; each service runs in its own
# directory with AUDREY_VAR_<service>_<parameter> in its environment.
AUDREY_DIR=${AUDREY_DIR:-/var/audrey}
AUDREY_TOOLING=$AUDREY_DIR/tooling/user
AUDREY_PARAMS=$AUDREY_DIR/params
AUDREY_STATUS=$AUDREY_DIR/status
umask 077
mkdir -p "$AUDREY_TOOLING" "$AUDREY_PARAMS" "$AUDREY_STATUS"

# audrey_report STATUS REASON RETURN...: record the result; signal the
# wait condition (if any) with the returns as "name=base64(value)" data.
audrey_report() {
    status=$1 reason=$(printf '%s' "$2" | tr -d '"\\\000-\037')
    shift 2
    data=
    for fact in "$@"; do
        data="$data$fact=$(audrey_fact "$fact" | base64 | tr -d '\n') "
    done
    printf '%s: %s\n' "$status" "$reason" > "$AUDREY_STATUS/boot"
    [ -s "$AUDREY_DIR/wait-url" ] || return 0
    body="{\"Status\": \"$status\", \"Reason\": \"$reason\", \
\"UniqueId\": \"boot\", \"Data\": \"${data% }\"}"
    url=$(cat "$AUDREY_DIR/wait-url")
    if command -v curl > /dev/null; then
        curl -fsS -X PUT -H 'Content-Type: application/json' \
            --data-binary "$body" "$url"
    else
        wget -q -O /dev/null --method=PUT \
            --header='Content-Type: application/json' \
            --body-data="$body" "$url"
    fi
}

# audrey_fail REASON: report a failure and stop.
audrey_fail() {
    audrey_report FAILURE "$1"
    exit 1
}

# audrey_write FILE: standard input (a quoted here-document) into FILE,
# without the one newline the here-document adds.
audrey_write() {
    value=$(cat; echo x)
    value=${value%x}
    printf '%s' "${value%?}" > "$1"
}

# audrey_unpack FILE MODE: base64 on standard input into FILE.
audrey_unpack() {
    base64 -d > "$1" && chmod "$2" "$1"
}

# audrey_fetch URL FILE MODE: download URL into FILE.
audrey_fetch() {
    if command -v curl > /dev/null; then
        curl -fsSL -o "$2" "$1"
    else
        wget -q -O "$2" "$1"
    fi && chmod "$3" "$2"
}

# audrey_fact NAME: a fact of this instance (facter, else a fallback for
# the address facts).
audrey_fact() {
    if value=$(facter "$1" 2> /dev/null) && [ -n "$value" ]; then
        printf '%s' "$value"
        return
    fi
    case $1 in
        ipaddress) hostname -I 2> /dev/null | cut -d' ' -f1 | tr -d '\n' ;;
        hostname) hostname | tr -d '\n' ;;
        fqdn) hostname -f | tr -d '\n' ;;
    esac
}

# audrey_data FACT: the fact from wait condition data on standard input.
audrey_data() {
    key=$(printf '%s' "$1" | sed 's/[.]/\\./g')
    sed -n "s/.*[\" ]$key=\([A-Za-z0-9+\/=]*\).*/\1/p" | head -n 1 |
        base64 -d
}

# audrey_run SERVICE: run its start with its parameters in the
# environment; record the exit status.
audrey_run() {
    service=$1
    set --
    for param in "$AUDREY_PARAMS/$service"/*; do
        [ -f "$param" ] || continue
        set -- "$@" "AUDREY_VAR_${service}_${param##*/}=$(cat "$param")"
    done
    (cd "$AUDREY_TOOLING/$service" && exec env "$@" ./start)
    rc=$?
    printf '%s' "$rc" > "$AUDREY_STATUS/$service"
    return "$rc"
}
