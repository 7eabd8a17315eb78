/**
 * A certificate and key for 127.0.0.1 and localhost, for TESTS AND THE BENCH ONLY (self-signed,
 * its own CA, valid until 2126): the test Gmail's implicit TLS (port 465, as smtp.gmail.com)
 * uses it, and a client trusts it by passing TEST_TLS.cert as its `ca` — injected per
 * connection, never a process-wide TLS override. Made with:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
 *     -subj "/CN=localhost (Trickle tests only)" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
 *     -addext "basicConstraints=critical,CA:TRUE" -keyout key.pem -out cert.pem
 */
export const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgj5H9sr4xS+XyUslr
0VAC0cv4RFjMBQc9QUMdptaMsa+hRANCAASDoHMbiDZpF9LTzxaym+3SPmx0ckMG
UWqm6mtukvMoeUDcC+xULptyX707CXql1M+dPxhZNLnjEvOuiIC47RDa
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBxDCCAWugAwIBAgIUDN4VK6boUBnUhr8ETjPH31ti2iYwCgYIKoZIzj0EAwIw
KTEnMCUGA1UEAwwebG9jYWxob3N0IChUcmlja2xlIHRlc3RzIG9ubHkpMCAXDTI2
MTIwNDE3MTYwN1oYDzIxMjYxMTEwMTcxNjA3WjApMScwJQYDVQQDDB5sb2NhbGhv
c3QgKFRyaWNrbGUgdGVzdHMgb25seSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AASDoHMbiDZpF9LTzxaym+3SPmx0ckMGUWqm6mtukvMoeUDcC+xULptyX707CXql
1M+dPxhZNLnjEvOuiIC47RDao28wbTAdBgNVHQ4EFgQU3oA2Azr6BGH0Uuc5APJn
6hLP/bswHwYDVR0jBBgwFoAU3oA2Azr6BGH0Uuc5APJn6hLP/bswGgYDVR0RBBMw
EYcEfwAAAYIJbG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
RwAwRAIgMwtDv/+fDTUbnI+cPPeVeqpnnJWP33LcqKDbE/981CICIG13uBAESBCN
Vlh00oNauxjgYgXzYGHR93Ltv9L/6S3I
-----END CERTIFICATE-----
`,
};
