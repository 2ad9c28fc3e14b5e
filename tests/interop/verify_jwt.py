#!/usr/bin/env python3
"""Verifies a folio access token with PyJWT, using nothing but the published JWKS.

This is what a gateway or another service does offline: pick the key by the token's `kid`,
verify the EdDSA signature, and check issuer, audience and expiry.

Usage: verify_jwt.py JWKS_FILE TOKEN ISSUER AUDIENCE
       (JWKS_FILE holds the body of GET /.well-known/jwks.json; `-` reads it from stdin)

Exits 0 and prints the verified claims as JSON when the token is valid; exits 1 with the
reason on stderr when it is not; exits 2 when PyJWT (with its `crypto` extra) is missing, so a
test that relies on this script fails rather than silently skipping.
"""

import json
import sys


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import jwt  # PyJWT
        from jwt.algorithms import OKPAlgorithm  # needs the `cryptography` package
    except ImportError as e:
        print(f"PyJWT with its crypto extra is required: pip install 'pyjwt[crypto]' ({e})", file=sys.stderr)
        return 2
    jwks_path, token, issuer, audience = argv[1:]
    text = sys.stdin.read() if jwks_path == "-" else open(jwks_path, encoding="utf-8").read()
    jwks = jwt.PyJWKSet.from_dict(json.loads(text))
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        matches = [k for k in jwks.keys if k.key_id == kid]
        if not matches:
            raise jwt.InvalidTokenError(f"no key with kid {kid!r} in the JWKS")
        claims = jwt.decode(
            token,
            key=matches[0].key,
            algorithms=["EdDSA"],  # pinned: never taken from the token
            issuer=issuer,
            audience=audience,
            leeway=5,
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
        )
    except jwt.PyJWTError as e:
        print(f"invalid token: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
