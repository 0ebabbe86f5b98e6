"""The local stack: a moto server (KMS, DynamoDB, STS, IAM) and a throwaway
PostgreSQL cluster with TLS, seeded like a small organisation.

    python dev/stack serve --dir DIR   # start, write DIR/stack.json, wait
    python dev/stack up                # same, in a temp dir, until Ctrl-C

Tests, the demo and the benchmarks use `running()`, which yields a `Stack`;
`Stack.env_for(user)` is the environment of a process acting as a stack user.

Seeded identities (IAM users of account 123456789012, keys in an AWS shared
credentials file, one profile each):
  admin  - every AWS action
  alice  - may read secrets (DynamoDB reads, kms:Decrypt); policy: read_write
  bob    - may read secrets; policy: read_only only
  carol  - no AWS permissions at all (AWS itself denies her)
  dave   - may only assume the role analytics-reader, which may read secrets

PostgreSQL listens on 127.0.0.1 and 127.0.0.2: the server certificate names
localhost and 127.0.0.1 only, so 127.0.0.2 is a host name TLS must reject.

Modules: org (the organisation's names), tls, postgres, motoserver, seed,
description (Stack), serve (the child process and `running`).
"""

from __future__ import annotations

from stack.description import Stack, User
from stack.org import ACCOUNT, DATABASE, REGION, SQLA_DATABASE, TABLE
from stack.serve import running

__all__ = ["ACCOUNT", "DATABASE", "REGION", "SQLA_DATABASE", "TABLE", "Stack", "User", "running"]
