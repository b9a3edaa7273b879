"""boto3 clients with the standard credential chain, and AWS errors turned into messages a user can act on.

boto3 itself honours ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) for S3-compatible
stores and local emulators, so pockit passes no endpoint of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pockit._errors import SourceError

#: Region used when neither the environment nor the profile names one (Cost Explorer lives here).
DEFAULT_REGION = "us-east-1"

_HINTS = {
    "InvalidAccessKeyId": "the access key is not known: check AWS_ACCESS_KEY_ID / AWS_PROFILE",
    "SignatureDoesNotMatch": "the secret key does not match: check AWS_SECRET_ACCESS_KEY / AWS_PROFILE",
    "UnrecognizedClientException": "the credentials are not valid: check AWS_PROFILE or the access keys",
    "ExpiredToken": "the session token expired: refresh it (aws sso login, or new STS credentials)",
    "ExpiredTokenException": "the session token expired: refresh it (aws sso login, or new STS credentials)",
    "AccessDenied": "the identity lacks permission: check its IAM policy",
    "AccessDeniedException": "the identity lacks permission: check its IAM policy (ce:GetCostAndUsage, athena:*, cloudwatch:GetMetricData)",
    "NoSuchBucket": "the bucket does not exist: check the s3:// URL and the region",
    "NoSuchKey": "no object at that key: check the s3:// URL",
    "404": "not found: check the s3:// URL",
    "403": "access denied: check credentials and the bucket policy",
}


def client(service: str, *, region: str | None = None) -> Any:
    """A boto3 client for ``service`` using the standard credential chain and ``AWS_ENDPOINT_URL``."""
    try:
        import boto3
    except ImportError as exc:  # pragma: no cover - boto3 is a dependency
        raise SourceError("reading from AWS needs boto3: pip install boto3") from exc
    region = (
        region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


#: The public name (``pockit.sources.aws_client``) for parts outside sources.
aws_client = client


def _endpoint_hint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return f" (AWS_ENDPOINT_URL={endpoint})" if endpoint else ""


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn botocore errors raised while doing ``what`` into a SourceError that says what to check."""
    try:
        import botocore.exceptions as bex
    except ImportError:  # pragma: no cover
        yield
        return
    try:
        yield
    except bex.NoCredentialsError:
        raise SourceError(
            f"{what}: no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an instance role is available"
        ) from None
    except bex.EndpointConnectionError as exc:
        raise SourceError(
            f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'the endpoint')}{_endpoint_hint()}; "
            "check AWS_ENDPOINT_URL, the region and the network"
        ) from None
    except bex.ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "?"))
        msg = err.get("Message") or ""
        hint = _HINTS.get(code, "check the credentials, the region and the request")
        raise SourceError(
            f"{what}: AWS said {code}{': ' + msg if msg else ''}{_endpoint_hint()}; {hint}"
        ) from None
    except bex.BotoCoreError as exc:
        raise SourceError(f"{what}: {exc}{_endpoint_hint()}") from None
