"""Security headers on every response (ASVS 3.4): CSP, HSTS in production, nosniff, referrer policy."""

def content_security_policy(frame_origins=(), form_action_origins=()) -> str:
    return "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        " ".join(["frame-src 'self'", *frame_origins]),  # video players the course may embed
        "object-src 'none'",
        "base-uri 'none'",
        # Chromium applies form-action to the redirects that follow a form: a sign-in or a logout that ends at
        # the identity provider (ProConnect) needs its origin here.
        " ".join(["form-action 'self'", *form_action_origins]),
        "frame-ancestors 'none'",
    ]
    )


def init_security_headers(app) -> None:
    csp = content_security_policy(app.config.get("VIDEO_EMBED_ORIGINS", ()), app.config.get("FORM_ACTION_ORIGINS", ()))

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SEND_HSTS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
