"""An SMTP server for ipband's tests: Debian's aiosmtpd (python3-aiosmtpd)
with STARTTLS required and AUTH required after it, as a real submission
server runs. Each accepted message is written to OUT/N.json, each EHLO name
is appended to OUT/ehlo with whether the session was encrypted.

    python3 smtpserver.py PORT CERT KEY USER PASSWORD MECHS OUT

MECHS is the AUTH mechanisms offered, comma separated (PLAIN,LOGIN).
"""

import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, mechs, out = sys.argv[1:8]
offered = set(mechs.upper().split(","))
lock = threading.Lock()
count = 0


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    if ok:
        session.ipband_user = user
    return AuthResult(success=ok, handled=False)


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with lock, open(os.path.join(out, "ehlo"), "a") as f:
            f.write("%s %s\n" % (hostname, "tls" if session.ssl else "plain"))
        return responses

    async def handle_DATA(self, server, session, envelope):
        global count
        msg = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "tls": bool(session.ssl),
            "user": getattr(session, "ipband_user", ""),
            "data": envelope.original_content.decode("utf-8", "replace"),
        }
        with lock:
            count += 1
            path = os.path.join(out, "%d.json" % count)
        with open(path + ".tmp", "w") as f:
            json.dump(msg, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
every = {"PLAIN", "LOGIN"}
controller = Controller(
    Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
    require_starttls=True, auth_required=True, auth_require_tls=True,
    authenticator=authenticator,
    auth_exclude_mechanism=sorted(every - offered))
controller.start()
print("ready", flush=True)
sys.stdin.read()  # until the test closes it
controller.stop()
