# asr-preflight probe "trust": the roots of the distribution's CA bundle, as base64 DER.
# POSIX sh + awk. Read-only. The checker computes SHA-256, subject and notAfter of each root
# from the DER (one parse on the checker is far cheaper than one openssl process per root).
# Prints one JSON object: {"bundle": PATH, "der_base64": [...]}.
LC_ALL=C; export LC_ALL
bundle=''
for f in /etc/pki/tls/certs/ca-bundle.crt \
         /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem \
         /etc/ssl/certs/ca-certificates.crt \
         /var/lib/ca-certificates/ca-bundle.pem \
         /etc/ssl/ca-bundle.pem \
         /etc/ssl/cert.pem; do
  if [ -r "$f" ] && [ -s "$f" ]; then bundle=$f; break; fi
done
if [ -z "$bundle" ]; then
  printf '{"bundle":null,"der_base64":null,"error":"no CA bundle found in the usual places"}\n'
  exit 0
fi
printf '{"bundle":"%s","der_base64":[' "$bundle"
awk '
  /-----BEGIN CERTIFICATE-----/ { inside = 1; der = ""; next }
  /-----END CERTIFICATE-----/ {
    if (inside) { printf "%s\"%s\"", (n++ ? "," : ""), der }
    inside = 0; next
  }
  inside { gsub(/[^A-Za-z0-9+\/=]/, ""); der = der $0 }
' "$bundle"
printf ']}\n'
