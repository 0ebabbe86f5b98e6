"""Who the local stack's organisation is: its AWS account, region, credstash
table, database and the identities seeded into them."""

from __future__ import annotations

ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "credential-store"
DATABASE = "analytics"
CONTACT = "#data-platform (demo stack)"
DB_USERS = ("read_only", "read_write")
SQLA_DATABASE = "sqla_suite"

READ_SECRETS = [
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
    "kms:Decrypt",
    "sts:AssumeRole",
]
IAM_USERS: dict[str, list[str] | None] = {
    "admin": ["*"],
    "alice": READ_SECRETS,
    "bob": READ_SECRETS,
    "carol": None,
    "dave": ["sts:AssumeRole"],
}
# alias/credstash is the store's key; alias/other is a second key in the same
# account, for records that reads must refuse unless listed in decrypt_keys.
KMS_ALIASES = ("alias/credstash", "alias/other")
# A role anyone in the account may assume, which may read secrets: dave can
# read them only by chaining into it (assume_role in the config).
READER_ROLE = "analytics-reader"


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


def role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"
