# heat-deltacloud boot script (see docs/source/user/deployables.rst).
# Layout, as Audrey's: $AUDREY_DIR/tooling/user/<service>/start and the
# service's files beside it; parameter values in
# $AUDREY_DIR/params/<service>/<parameter>; each service runs in its own
# directory with AUDREY_VAR_<service>_<parameter> in its environment.
# Every path starts with $HEAT_DELTACLOUD_GUEST_ROOT: empty on an
# instance, the instance's own directory when the embedded launcher's
# guest mode runs this script on its host.
AUDREY_DIR=${AUDREY_DIR:-${HEAT_DELTACLOUD_GUEST_ROOT}/var/audrey}
AUDREY_TOOLING=$AUDREY_DIR/tooling/user
AUDREY_PARAMS=$AUDREY_DIR/params
AUDREY_STATUS=$AUDREY_DIR/status
# Custom facts: Facter's external facts (name=value lines in *.txt), read
# with or without facter; services write theirs here.
AUDREY_FACTS=${AUDREY_FACTS:-${HEAT_DELTACLOUD_GUEST_ROOT}/etc/facter/facts.d}
export AUDREY_FACTS
umask 077
mkdir -p "$AUDREY_TOOLING" "$AUDREY_PARAMS" "$AUDREY_STATUS" "$AUDREY_FACTS"

# audrey_signal STATUS REASON ID DATA: one signal to the wait condition
# handle: cfn-signal where the image has it, else an HTTP PUT of the same
# JSON document (REASON, ID and DATA hold no quote or backslash).
audrey_signal() {
    url=$(cat "$AUDREY_DIR/wait-url")
    code=1
    [ "$1" = SUCCESS ] && code=0
    if command -v cfn-signal > /dev/null && cfn-signal --exit-code="$code" \
            --reason="$2" --id="$3" --data="$4" "$url"; then
        return 0
    fi
    body="{\"Status\": \"$1\", \"Reason\": \"$2\", \"UniqueId\": \"$3\", \
\"Data\": \"$4\"}"
    if command -v curl > /dev/null; then
        curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
            --data-binary "$body" "$url"
    else
        wget -q -O /dev/null --method=PUT \
            --header='Content-Type: application/json' \
            --body-data="$body" "$url"
    fi
}

# audrey_report STATUS REASON FACT...: record the result and signal it.
# On success each FACT is one signal (its name the UniqueId, its value
# the Data), or without facts one signal "boot"; a failure is one signal
# "boot" with the reason.
audrey_report() {
    status=$1 reason=$(printf '%s' "$2" | tr -d '"\\\000-\037')
    shift 2
    printf '%s: %s\n' "$status" "$reason" > "$AUDREY_STATUS/boot"
    [ -s "$AUDREY_DIR/wait-url" ] || return 0
    if [ "$status" = SUCCESS ] && [ $# -gt 0 ]; then
        for fact in "$@"; do
            audrey_signal SUCCESS "$reason, fact $fact" "$fact" \
                "$(audrey_publish "$fact")" || return 1
        done
    else
        audrey_signal "$status" "$reason" boot "$reason"
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

# audrey_fact NAME: a fact of this instance: an external fact, else
# facter's, else a fallback for the address facts.
audrey_fact() {
    if value=$(cat "$AUDREY_FACTS"/*.txt 2> /dev/null | awk -v k="$1" '
            index($0, k "=") == 1 { print substr($0, length(k) + 2)
                                    found = 1; exit }
            END { exit !found }'); then
        printf '%s' "$value"
        return
    fi
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

# audrey_publish NAME: the fact as signal data: as it is when it is
# printable ASCII without quote or backslash (so it reads the same in the
# stack's outputs), else "b64:" and its base64.
audrey_publish() {
    value=$(audrey_fact "$1")
    case $value in
        b64:*) ;;
        *) case $(printf '%s' "$value" |
                  LC_ALL=C tr -d ' !\043-\133\135-\176'; echo x) in
               x) printf '%s' "$value"; return ;;
           esac ;;
    esac
    printf 'b64:%s' "$(printf '%s' "$value" | base64 | tr -d '\n')"
}

# audrey_data FACT: the fact from a wait condition's Data (JSON, one key
# per signal) on standard input.
audrey_data() {
    key=$(printf '%s' "$1" | sed 's/[.]/\\./g')
    value=$(tr '\n' ' ' |
            sed -n "s/.*\"$key\" *: *\"\([^\"\\\\]*\)\".*/\1/p")
    case $value in
        b64:*) printf '%s' "${value#b64:}" | base64 -d ;;
        *) printf '%s' "$value" ;;
    esac
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
