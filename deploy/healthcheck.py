"""Container health check of the web: GET /health/ on the local gunicorn, exit 0 when it answers 200.

Stdlib only (the slim image has no curl). The Host header is the first of ALLOWED_HOSTS, since
Django refuses any other host; /health/ is exempt from the HTTPS redirect (settings, production).
Usage: python deploy/healthcheck.py [PATH]   (default /health/)
"""
import os
import sys
import urllib.error
import urllib.request


def main(path: str) -> int:
    port = os.environ.get("PORT", "8000")
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
    host = next((h for h in hosts if h != "*"), "localhost")
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/health/"))
