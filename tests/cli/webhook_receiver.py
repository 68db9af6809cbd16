"""A loopback webhook receiver for the export tests: listens on 127.0.0.1 (a free port,
written to the file named by argv[1]), appends every request to the JSON Lines file argv[2]
as {"path", "headers", "body"}, and answers by path: /reject -> 422 with a reason in the
body, /fail -> 500, anything else -> 200. Stops when its parent test kills it."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8")
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
        code, text = {"/reject": (422, b"audience refused: no email column\n"),
                      "/fail": (500, b"upstream down\n")}.get(self.path, (200, b"{\"ok\":true}"))
        self.send_response(code)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
