"""The `deploy/nginx/mpaka.conf` example is a valid nginx configuration.

Checked with the real `nginx -t` (Debian's `nginx` package; `.ci/run`
installs it), the example included in the `http` context exactly as
`sites-enabled/` does.  Only file paths are rewritten, to a self-signed
certificate and logs under the test's temporary directory.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "nginx" / "mpaka.conf"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).exists()), None)

pytestmark = pytest.mark.skipif(
    NGINX is None,
    reason="nginx is not installed (apt-get install nginx; .ci/run installs it so CI runs this)")


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mpaka.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_nginx_example_passes_nginx_t(tmp_path):
    """`nginx -t` accepts the example included at http level (log_format in
    the http context, every directive known to the installed nginx)."""
    cert, key = self_signed(tmp_path)
    live = "/etc/letsencrypt/live/mpaka.example.org/"
    text = EXAMPLE.read_text()
    for path in (f"{live}fullchain.pem", f"{live}privkey.pem", "/var/log/nginx/mpaka.access.log"):
        assert path in text, path  # the example still names what is rewritten here
    site = tmp_path / "mpaka.conf"
    site.write_text(text.replace(f"{live}fullchain.pem", str(cert))
                    .replace(f"{live}privkey.pem", str(key))
                    .replace("/var/log/nginx/mpaka.access.log", str(tmp_path / "access.log")))
    temp = "\n".join(f"    {kind}_temp_path {tmp_path / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
                    f"events {{}}\nhttp {{\n{temp}\n    include {site};\n}}\n")
    result = subprocess.run(
        [NGINX, "-t", "-p", f"{tmp_path}/", "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
