#!/usr/bin/env bash
# mx_test.sh: `smtpc send --mx` and `smtpc route` against a real DNS and real servers, all on loopback.
#
# What it starts, under a temp dir (stopped by PID in the EXIT trap):
#   - NSD (servers/nsd.sh) on 127.0.0.1:DNS_PORT serving smtpcore.test, signed here with ldns-signzone
#     (the test's own trust anchor: its DS), plus an unsigned delegated child (insecure.smtpcore.test, with TLSA
#     records that must be ignored) and a signed child whose parent DS matches no key (bogus.smtpcore.test);
#   - servers/mx_fleet.py: aiosmtpd MX hosts on 127.0.0.2-7 (one certificate each from a test CA; DANE records
#     match some and not others) and an HTTPS server on 127.0.0.1 serving MTA-STS policies.
# smtpc resolves through libunbound (--dns-server 127.0.0.1:DNS_PORT --trust-anchor ds), validating DNSSEC itself.
# Each scenario checks smtpc's exit status, its --json, and what each MX host recorded (by a unique token).
#
# Environment: SMTP_CLIENT (default bazel-bin/tools/smtpc), MX_ONLY (regex of scenario names), KEEP_WORK=1.
# Needs: nsd, ldnsutils, openssl, python3-aiosmtpd (install_deps.sh). Ends with "N passed, M failed".
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

if [[ -n ${SMTP_CLIENT:-} ]]; then
  read -r -a CLIENT <<<"$SMTP_CLIENT"
else
  CLIENT=("$REPO/bazel-bin/tools/smtpc")
fi
ONLY=${MX_ONLY:-}
PASSED=0 FAILED=0
FAILED_NAMES=()

for tool in nsd ldns-signzone ldns-keygen openssl; do
  command -v "$tool" >/dev/null || { log "missing $tool: run tests/integration/install_deps.sh"; echo "0 passed, 1 failed"; exit 1; }
done

WORK=$(mktemp -d /tmp/smtpcore-mx.XXXXXX)
chmod 755 "$WORK"
finish() {
  "$HERE/servers/nsd.sh" stop "$WORK/dns" >/dev/null 2>&1
  stop_pidfile "$WORK/fleet.pid" 10
  if [[ $FAILED -eq 0 && -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
add_cleanup finish
install_cleanup_trap

fatal() { log "error: $*"; FAILED=$((FAILED + 1)); echo "$PASSED passed, $FAILED failed"; exit 1; }

read -r DNS_PORT SMTP_PORT HTTPS_PORT < <(pick_free_ports 3 | tr '\n' ' ')
Z=smtpcore.test

# --- certificates: a test CA and one leaf per host ------------------------------------------------------------
PKI=$WORK/pki
make_test_pki "$PKI" || fatal "make_test_pki"
leaf() {  # leaf NAME SAN...: PKI/NAME.{key,pem} signed by the test CA
  local name=$1; shift
  local san
  san=$(printf 'DNS:%s,' "$@")
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null &&
    printf '%s\n' "subjectAltName=${san%,}" "extendedKeyUsage=serverAuth" >"$PKI/$name.ext" &&
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
      -extfile "$PKI/$name.ext" -out "$PKI/$name.pem" 2>/dev/null || fatal "certificate for $name"
  chmod 644 "$PKI/$name.key"
}
for h in mx-good mx-bad mx-plain mx-sts mx-ta; do leaf "$h" "$h.$Z"; done
leaf mx-insecure "mx.insecure.$Z"
leaf https "mta-sts.sts-enforce.$Z" "mta-sts.sts-mismatch.$Z" "mta-sts.sts-testing.$Z"
cat "$PKI/mx-ta.pem" "$PKI/ca.pem" >"$PKI/mx-ta-chain.pem"  # DANE-TA: the anchor is in the chain
spki_sha256() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1; }
cert_sha256() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1; }
GOOD_HASH=$(spki_sha256 "$PKI/mx-good.pem")
BAD_HASH=$(spki_sha256 "$PKI/mx-plain.pem")      # a real key, just not mx-bad's
CA_HASH=$(cert_sha256 "$PKI/ca.pem")
INSECURE_HASH=$(spki_sha256 "$PKI/mx-plain.pem") # never matches mx.insecure's key: must be ignored

# --- zones, signed here -----------------------------------------------------------------------------------------
D=$WORK/dns
mkdir -p "$D"
cd "$D" || fatal "cd $D"
soa() { printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ NS ns.%s.\n' "$1" "$Z" "$Z" "$Z"; }
keygen() { ldns-keygen -a ECDSAP256SHA256 -k "$1" 2>/dev/null || fatal "ldns-keygen $1"; }

{ soa "insecure.$Z"
  printf '@ MX 10 mx\nmx A 127.0.0.6\n_%s._tcp.mx TLSA 3 1 1 %s\n' "$SMTP_PORT" "$INSECURE_HASH"
} >"insecure.$Z.zone"

BOGUS_KEY=$(keygen "bogus.$Z")
WRONG_KEY=$(keygen "bogus.$Z")  # its DS goes into the parent: matches no key of the child
{ soa "bogus.$Z"; printf '@ MX 10 mx\nmx A 127.0.0.4\n'; cat "$BOGUS_KEY.key"; } >"bogus.$Z.zone"
ldns-signzone "bogus.$Z.zone" "$BOGUS_KEY" || fatal "sign bogus.$Z"

ZONE_KEY=$(keygen "$Z")
{ soa "$Z"
  cat <<ZONE
ns A 127.0.0.1
mx-dead A 127.0.0.9
mx-good A 127.0.0.2
_${SMTP_PORT}._tcp.mx-good TLSA 3 1 1 $GOOD_HASH
mx-bad A 127.0.0.3
_${SMTP_PORT}._tcp.mx-bad TLSA 3 1 1 $BAD_HASH
mx-plain A 127.0.0.4
mx-sts A 127.0.0.5
mx-ta A 127.0.0.7
_${SMTP_PORT}._tcp.mx-ta TLSA 2 0 1 $CA_HASH
multi MX 10 mx-dead
multi MX 20 mx-plain
dane MX 10 mx-good
danebad MX 10 mx-bad
daneta MX 10 mx-ta
implicit A 127.0.0.4
cname CNAME alias
alias MX 10 mx-plain
mxcname MX 10 mxalias
mxalias CNAME mx-plain
nullmx MX 0 .
xn--bcher-kva MX 10 mx-plain
sts-enforce MX 10 mx-sts
_mta-sts.sts-enforce TXT "v=STSv1; id=e1"
mta-sts.sts-enforce A 127.0.0.1
sts-mismatch MX 10 mx-plain
_mta-sts.sts-mismatch TXT "v=STSv1; id=m1"
mta-sts.sts-mismatch A 127.0.0.1
sts-testing MX 10 mx-plain
_mta-sts.sts-testing TXT "v=STSv1; id=t1"
mta-sts.sts-testing A 127.0.0.1
insecure NS ns
bogus NS ns
ZONE
  awk -v owner="bogus.$Z." '{ $1 = owner; print }' "$WRONG_KEY.ds"  # a DS for a key the child lacks
  cat "$ZONE_KEY.key"
} >"$Z.zone"
ldns-signzone "$Z.zone" "$ZONE_KEY" || fatal "sign $Z"
cp "$ZONE_KEY.ds" "$WORK/trust-anchor.ds"
cd "$HERE" || fatal "cd"

"$HERE/servers/nsd.sh" start "$D/run" "$DNS_PORT" "$Z=$D/$Z.zone.signed" "insecure.$Z=$D/insecure.$Z.zone" \
  "bogus.$Z=$D/bogus.$Z.zone.signed" || fatal "nsd did not start"

# --- MX hosts and the MTA-STS server ------------------------------------------------------------------------------
P=$WORK/policies
mkdir -p "$P" "$WORK/records" "$WORK/out"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx-sts.%s\r\nmax_age: 86400\r\n' "$Z" >"$P/mta-sts.sts-enforce.$Z"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx-sts.%s\r\nmax_age: 86400\r\n' "$Z" >"$P/mta-sts.sts-mismatch.$Z"
printf 'version: STSv1\r\nmode: testing\r\nmx: *.elsewhere.test\r\nmax_age: 86400\r\n' >"$P/mta-sts.sts-testing.$Z"
"$PYTHON" "$HERE/servers/mx_fleet.py" --smtp-port "$SMTP_PORT" --record-dir "$WORK/records" \
  --smtp "127.0.0.2:$PKI/mx-good.pem:$PKI/mx-good.key" --smtp "127.0.0.3:$PKI/mx-bad.pem:$PKI/mx-bad.key" \
  --smtp "127.0.0.4:$PKI/mx-plain.pem:$PKI/mx-plain.key" --smtp "127.0.0.5:$PKI/mx-sts.pem:$PKI/mx-sts.key" \
  --smtp "127.0.0.6:$PKI/mx-insecure.pem:$PKI/mx-insecure.key" \
  --smtp "127.0.0.7:$PKI/mx-ta-chain.pem:$PKI/mx-ta.key" \
  --https-port "$HTTPS_PORT" --https-cert "$PKI/https.pem" --https-key "$PKI/https.key" --policy-dir "$P" \
  --ready-file "$WORK/fleet.ready" >"$WORK/fleet.log" 2>&1 &
echo $! >"$WORK/fleet.pid"
for ip in 2 3 4 5 6 7; do
  "$PYTHON" "$HERE/servers/probe.py" smtp "127.0.0.$ip" "$SMTP_PORT" 20 || { cat "$WORK/fleet.log" >&2; fatal "MX 127.0.0.$ip not ready"; }
done
"$PYTHON" "$HERE/servers/probe.py" https "$HTTPS_PORT" "mta-sts.sts-enforce.$Z" "$PKI/ca.pem" 20 ||
  { cat "$WORK/fleet.log" >&2; fatal "MTA-STS server not ready"; }

# --- scenarios --------------------------------------------------------------------------------------------------
MXFLAGS=(--dns-server "127.0.0.1:$DNS_PORT" --trust-anchor "$WORK/trust-anchor.ds" --port "$SMTP_PORT")

# run NAME ARGS...: runs smtpc with ARGS, output in out/NAME.{json,err}, exit code in RC.
run() {
  local name=$1; shift
  "${CLIENT[@]}" "$@" >"$WORK/out/$name.json" 2>"$WORK/out/$name.err"
  RC=$?
}

# send NAME DOMAIN [extra flags]: smtpc send --mx DOMAIN with a message carrying the token NAME.
send() {
  local name=$1 domain=$2; shift 2
  printf 'From: <sender@origin.test>\r\nTo: <user@%s>\r\nSubject: token-%s\r\n\r\nhello %s\r\n' \
    "$domain" "$name" "$name" >"$WORK/out/$name.eml"
  run "$name" send --mx "$domain" "${MXFLAGS[@]}" --mta-sts-port "$HTTPS_PORT" --ca-file "$PKI/ca.pem" \
    --from sender@origin.test --to "user@$domain" --data "$WORK/out/$name.eml" --json --trace "$@"
}

# check NAME PYTHON-EXPR...: each expression must be true with j (the JSON), rc, rec(ip) -> list of records whose
# content holds token-NAME at that MX IP, anywhere() -> such records at any IP, tlsrpt (parsed --tlsrpt-out or None).
check() {
  local name=$1; shift
  local reasons
  reasons=$("$PYTHON" - "$WORK" "$name" "$RC" "$@" <<'PY'
import glob, json, os, sys
work, name, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    j = json.load(open(os.path.join(work, "out", name + ".json")))
except Exception as e:
    j = {"_unparsable": str(e)}
def rec(ip):
    out = []
    for f in sorted(glob.glob(os.path.join(work, "records", ip, "*.json"))):
        r = json.load(open(f))
        if ("token-" + name + "\r") in r["content"] or ("token-" + name + "\n") in r["content"]:
            out.append(r)
    return out
def anywhere():
    return [r for d in glob.glob(os.path.join(work, "records", "*")) for r in rec(os.path.basename(d))]
t = os.path.join(work, "out", name + ".tlsrpt")
tlsrpt = json.load(open(t)) if os.path.exists(t) else None
for expr in sys.argv[4:]:
    try:
        ok = eval(expr)
    except Exception as e:
        ok = False
        expr += "  (raised %r)" % e
    if not ok:
        print("  failed: " + expr)
PY
)
  if [[ -z $reasons ]]; then
    PASSED=$((PASSED + 1)); echo "PASS $name"
  else
    FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name"); echo "FAIL $name (exit $RC)"; echo "$reasons"
    sed 's/^/  json: /' "$WORK/out/$name.json" | head -c 4000; echo
    sed 's/^/  err: /' "$WORK/out/$name.err" | tail -25
  fi
}

want() { [[ -z $ONLY || $1 =~ $ONLY ]]; }

if want route_secure; then
  run route_secure route "dane.$Z" "${MXFLAGS[@]}" --json
  check route_secure 'rc == 0' 'j["mx_dnssec"] == "secure"' 'j["attempts"][0]["host"] == "mx-good.smtpcore.test"' \
    'j["attempts"][0]["tls_policy"] == "dane"' 'j["attempts"][0]["addresses_dnssec"] == "secure"' \
    'all(s["dnssec"] == "secure" for s in j["steps"] + j["attempts"][0]["steps"])' \
    'j["attempts"][0]["requiretls_allowed"] is True'
fi
if want route_insecure; then
  run route_insecure route "insecure.$Z" "${MXFLAGS[@]}" --json
  check route_insecure 'rc == 0' 'j["mx_dnssec"] == "insecure"' 'j["attempts"][0]["tls_policy"] == "opportunistic"' \
    'j["attempts"][0]["addresses_dnssec"] == "insecure"' 'j["attempts"][0]["tlsa"] == []'
fi
if want route_bogus; then
  run route_bogus route "bogus.$Z" "${MXFLAGS[@]}" --json
  check route_bogus 'rc == 3' 'j["error"]["kind"] == "dnssec_bogus"' 'j["attempts"] == []'
fi
if want mx_fallthrough; then
  send mx_fallthrough "multi.$Z"
  check mx_fallthrough 'rc == 0' 'j["route"]["accepted"]["host"] == "mx-plain.smtpcore.test"' \
    'j["route"]["accepted"]["ip"] == "127.0.0.4"' 'j["route"]["attempts"][0]["outcome"] == "connect_failed"' \
    'j["route"]["attempts"][1]["outcome"] == "delivered"' 'len(rec("127.0.0.4")) == 1' 'rec("127.0.0.4")[0]["tls"]'
fi
if want mx_implicit; then
  send mx_implicit "implicit.$Z"
  check mx_implicit 'rc == 0' 'j["route"]["accepted"]["host"] == "implicit.smtpcore.test"' \
    'j["route"]["attempts"][0]["implicit_mx"] is True' 'len(rec("127.0.0.4")) == 1'
fi
if want mx_cname_chain; then
  send mx_cname_chain "cname.$Z"
  check mx_cname_chain 'rc == 0' 'j["route"]["accepted"]["host"] == "mx-plain.smtpcore.test"' \
    'j["route"]["steps"][0]["question"] == "cname.smtpcore.test CNAME"' 'len(rec("127.0.0.4")) == 1'
fi
if want mx_target_cname; then
  send mx_target_cname "mxcname.$Z"
  check mx_target_cname 'rc == 0' 'j["route"]["accepted"]["host"] == "mxalias.smtpcore.test"' \
    'any("CNAME" in w for w in j["route"]["attempts"][0]["warnings"])' 'len(rec("127.0.0.4")) == 1'
fi
if want mx_idna; then
  # A U-label next hop is looked up by its A-label (UTS #46, RFC 5890).
  printf 'From: <sender@origin.test>\r\nTo: <user@xn--bcher-kva.%s>\r\nSubject: token-mx_idna\r\n\r\nhello\r\n' \
    "$Z" >"$WORK/out/mx_idna.eml"
  run mx_idna send --mx "bücher.$Z" "${MXFLAGS[@]}" --mta-sts-port "$HTTPS_PORT" --ca-file "$PKI/ca.pem" \
    --from sender@origin.test --to "user@bücher.$Z" --data "$WORK/out/mx_idna.eml" --json --trace
  check mx_idna 'rc == 0' 'j["route"]["accepted"]["host"] == "mx-plain.smtpcore.test"' 'len(rec("127.0.0.4")) == 1'
  run route_idna route "bücher.$Z" "${MXFLAGS[@]}" --json
  check route_idna 'rc == 0' 'j["attempts"][0]["host"] == "mx-plain.smtpcore.test"'
fi
if want null_mx; then
  send null_mx "nullmx.$Z"
  check null_mx 'rc == 4' 'j["error"]["kind"] == "null_mx"' 'anywhere() == []'
fi
if want dane_match; then
  send dane_match "dane.$Z"
  check dane_match 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "dane"' 'j["tls"]["verified"] is True' \
    'len(rec("127.0.0.2")) == 1' 'rec("127.0.0.2")[0]["tls"]'
fi
if want dane_ta; then
  send dane_ta "daneta.$Z"
  check dane_ta 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "dane"' 'j["tls"]["verified"] is True' \
    'len(rec("127.0.0.7")) == 1'
fi
if want dane_mismatch; then
  send dane_mismatch "danebad.$Z" --tlsrpt-out "$WORK/out/dane_mismatch.tlsrpt"
  check dane_mismatch 'rc == 5' 'j["error"]["kind"] == "tls_verification"' 'anywhere() == []' \
    'j["route"]["attempts"][0]["tls_policy"] == "dane"' \
    'any(p["policy"]["policy-type"] == "tlsa" and p["summary"]["total-failure-session-count"] == 1 for r in tlsrpt for p in r["policies"])'
fi
if want dane_insecure_ignored; then
  send dane_insecure_ignored "insecure.$Z"
  check dane_insecure_ignored 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "opportunistic"' \
    'len(rec("127.0.0.6")) == 1'
fi
if want dnssec_bogus; then
  send dnssec_bogus "bogus.$Z"
  check dnssec_bogus 'rc == 3' 'j["error"]["kind"] == "dnssec_bogus"' 'anywhere() == []'
fi
if want sts_enforce; then
  send sts_enforce "sts-enforce.$Z"
  check sts_enforce 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "pkix-mta-sts"' \
    'j["route"]["mta_sts"]["mode"] == "enforce"' 'j["tls"]["verified"] is True' 'len(rec("127.0.0.5")) == 1'
fi
if want sts_enforce_mismatch; then
  send sts_enforce_mismatch "sts-mismatch.$Z"
  check sts_enforce_mismatch 'rc == 3' 'j["error"]["kind"] == "mta_sts_mismatch"' 'anywhere() == []'
fi
if want sts_testing_reports; then
  send sts_testing_reports "sts-testing.$Z" --tlsrpt-out "$WORK/out/sts_testing_reports.tlsrpt"
  check sts_testing_reports 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "mta-sts-testing"' \
    'len(rec("127.0.0.4")) == 1' 'tlsrpt[0]["policies"][0]["policy"]["policy-type"] == "sts"' \
    'tlsrpt[0]["policies"][0]["policy"]["policy-domain"] == "sts-testing.smtpcore.test"' \
    'tlsrpt[0]["policies"][0]["summary"]["total-failure-session-count"] == 1' \
    'tlsrpt[0]["policies"][0]["failure-details"][0]["result-type"] == "validation-failure"' \
    'tlsrpt[0]["policies"][0]["failure-details"][0]["receiving-mx-hostname"] == "mx-plain.smtpcore.test"'
fi
if want requiretls_unverified; then
  send requiretls_unverified "insecure.$Z" --requiretls
  check requiretls_unverified 'rc == 4' 'j["error"]["kind"] == "needs_requiretls"' 'anywhere() == []' \
    'j["route"]["attempts"][0]["requiretls_allowed"] is False'
fi

# The same plan, run by the libuv driver (--driver libuv: UvDnsResolver, the MTA-STS fetch on the thread pool,
# UvClient).
if want uv_fallthrough; then
  send uv_fallthrough "multi.$Z" --driver libuv
  check uv_fallthrough 'rc == 0' 'j["route"]["accepted"]["ip"] == "127.0.0.4"' \
    'j["route"]["attempts"][0]["outcome"] == "connect_failed"' 'len(rec("127.0.0.4")) == 1'
fi
if want uv_dane_match; then
  send uv_dane_match "dane.$Z" --driver libuv
  check uv_dane_match 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "dane"' 'j["tls"]["verified"] is True' \
    'len(rec("127.0.0.2")) == 1'
fi
if want uv_dane_mismatch; then
  send uv_dane_mismatch "danebad.$Z" --driver libuv
  check uv_dane_mismatch 'rc == 5' 'j["error"]["kind"] == "tls_verification"' 'anywhere() == []'
fi
if want uv_dnssec_bogus; then
  send uv_dnssec_bogus "bogus.$Z" --driver libuv
  check uv_dnssec_bogus 'rc == 3' 'j["error"]["kind"] == "dnssec_bogus"' 'anywhere() == []'
fi
if want uv_sts_enforce; then
  send uv_sts_enforce "sts-enforce.$Z" --driver libuv
  check uv_sts_enforce 'rc == 0' 'j["route"]["accepted"]["tls_policy"] == "pkix-mta-sts"' 'len(rec("127.0.0.5")) == 1'
fi
if want uv_sts_testing_reports; then
  send uv_sts_testing_reports "sts-testing.$Z" --driver libuv --tlsrpt-out "$WORK/out/uv_sts_testing_reports.tlsrpt"
  check uv_sts_testing_reports 'rc == 0' 'len(rec("127.0.0.4")) == 1' \
    'tlsrpt[0]["policies"][0]["failure-details"][0]["result-type"] == "validation-failure"'
fi

for n in "${FAILED_NAMES[@]+"${FAILED_NAMES[@]}"}"; do echo "failed: $n"; done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
