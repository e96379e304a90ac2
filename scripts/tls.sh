# Sourced by scripts/test.sh and benches/run.sh: make_test_tls makes a
# throwaway CA, a server certificate it signs (for 127.0.0.1 and
# localhost), and a second, unrelated CA (for "wrong CA" tests), in a
# temp folder; sets tls_dir (read by start_mariadb and start_postgres, which
# then turn TLS on and refuse plain connections) and exports
# TOKENSTORE_TEST_CA and TOKENSTORE_TEST_WRONG_CA. Call remove_test_tls
# when done.

make_test_tls() {
  if ! command -v openssl >/dev/null 2>&1; then
    echo "== installing openssl (Debian package, for the test certificates)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  fi
  tls_dir=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-tls.XXXXXX")
  chmod 0755 "$tls_dir"
  (
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tokenstore test CA" \
      -keyout ca.key -out ca.crt
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" \
      -keyout wrong-ca.key -out wrong-ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt
    chmod 0644 ca.crt wrong-ca.crt server.crt server.key
  ) >"$tls_dir/openssl.log" 2>&1 || { cat "$tls_dir/openssl.log" >&2; return 1; }
  export TOKENSTORE_TEST_CA="$tls_dir/ca.crt"
  export TOKENSTORE_TEST_WRONG_CA="$tls_dir/wrong-ca.crt"
}

remove_test_tls() {
  [ -n "${tls_dir:-}" ] && rm -rf "$tls_dir"
  return 0
}
