//! The IAM policy that lets a principal read one database user's password
//! and nothing else: the lock that the allow lists only advise about. Pure:
//! the caller resolves keys and identity; `middleware iam-policy` prints it.

pub mod db_auth;

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

/// A KMS key the reader may decrypt with, as the policy can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A key ARN: the statement's resource.
    Arn(String),
    /// An alias that could not be resolved (no kms:DescribeKey): keys that
    /// carry it, through the `kms:ResourceAliases` condition.
    Alias(String),
}

/// Everything the policy names.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub kms_region: &'a str,
    pub account: &'a str,
    pub table: &'a str,
    pub database: &'a str,
    pub user: &'a str,
    /// The credstash names the reader needs (DynamoDB LeadingKeys).
    pub names: &'a [String],
    /// None: `decrypt_keys` is `"*"`.
    pub keys: Option<&'a [Key]>,
    /// The encryption context, expanded for `user`.
    pub context: &'a BTreeMap<String, String>,
}

/// The policy document, and what a person should know before using it.
#[derive(Debug)]
pub struct Policy {
    pub document: Json,
    pub warnings: Vec<String>,
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn partition_of(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then(|| parts.next()).flatten().filter(|p| !p.is_empty())
}

/// The partition of a region, when no caller ARN is at hand.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An alias as `kms:ResourceAliases` names it: `alias/<name>`.
pub fn alias_name(alias: &str) -> &str {
    alias.find(":alias/").map_or(alias, |at| &alias[at + 1..])
}

pub fn policy(input: &Input<'_>) -> Policy {
    let Input { partition, region, kms_region, account, .. } = *input;
    let mut warnings = Vec::new();
    let mut context = serde_json::Map::new();
    for (k, v) in input.context {
        context.insert(format!("kms:EncryptionContext:{k}"), json!(v));
    }
    if context.is_empty() {
        warnings.push(format!(
            "database {:?} has no encryption context, so this kms:Decrypt has no condition: it decrypts every \
             record under the same key, and the DynamoDB LeadingKeys are the only lock. Set context (e.g. context \
             = {{ database = \"{}\", db_user = \"{{user}}\" }}) in [databases.{}] and store the passwords with it.",
            input.database, input.database, input.database
        ));
    }
    let any_key = format!("arn:{partition}:kms:{kms_region}:{account}:key/*");
    let statement = |sid: &str, resource: Json, extra: Option<(&str, Json)>| {
        let mut conditions = serde_json::Map::new();
        if !context.is_empty() {
            conditions.insert("StringEquals".into(), Json::Object(context.clone()));
        }
        if let Some((operator, values)) = extra {
            conditions.insert(operator.into(), values);
        }
        let mut s = json!({ "Sid": sid, "Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource });
        if !conditions.is_empty() {
            s["Condition"] = Json::Object(conditions);
        }
        s
    };
    let mut statements = vec![json!({
        "Sid": "ReadItsCredstashRecords",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": format!("arn:{partition}:dynamodb:{region}:{account}:table/{}", input.table),
        "Condition": { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": input.names } },
    })];
    match input.keys {
        None => {
            warnings.push(format!(
                "[credstash] decrypt_keys is \"*\", so this allows kms:Decrypt on every key in account {account} \
                 ({kms_region}); list the keys in decrypt_keys to narrow it."
            ));
            statements.push(statement("DecryptItsDataKeys", json!(any_key), None));
        }
        Some(keys) => {
            let arns: Vec<&str> =
                keys.iter().filter_map(|k| if let Key::Arn(a) = k { Some(a.as_str()) } else { None }).collect();
            let aliases: Vec<&str> =
                keys.iter().filter_map(|k| if let Key::Alias(a) = k { Some(alias_name(a)) } else { None }).collect();
            if !arns.is_empty() {
                let resource = if let [one] = arns.as_slice() { json!(one) } else { json!(arns) };
                statements.push(statement("DecryptItsDataKeys", resource, None));
            }
            if !aliases.is_empty() {
                warnings.push(format!(
                    "could not resolve {} to a key ARN (kms:DescribeKey was not allowed): the policy names the \
                     key through kms:ResourceAliases instead. Run iam-policy as someone allowed kms:DescribeKey \
                     for an exact key ARN.",
                    aliases.join(", ")
                ));
                let condition = json!({ "kms:ResourceAliases": aliases });
                statements.push(statement(
                    "DecryptItsDataKeysByAlias",
                    json!(any_key),
                    Some(("ForAnyValue:StringEquals", condition)),
                ));
            }
        }
    }
    Policy { document: json!({ "Version": "2012-10-17", "Statement": statements }), warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws-cn:kms:cn-north-1:111122223333:key/1234";

    fn input<'a>(keys: Option<&'a [Key]>, context: &'a BTreeMap<String, String>, names: &'a [String]) -> Input<'a> {
        Input {
            partition: "aws-cn",
            region: "cn-north-1",
            kms_region: "cn-north-1",
            account: "111122223333",
            table: "credential-store",
            database: "analytics",
            user: "read_only",
            names,
            keys,
            context,
        }
    }

    #[test]
    fn partitions_come_from_the_caller_or_the_region() {
        assert_eq!(partition_of("arn:aws-us-gov:iam::1:user/a"), Some("aws-us-gov"));
        assert_eq!(partition_of("arn:aws:sts::1:assumed-role/r/s"), Some("aws"));
        assert_eq!(partition_of("not an arn"), None);
        assert_eq!(partition_for_region("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_for_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_for_region("eu-west-1"), "aws");
    }

    #[test]
    fn decrypt_is_scoped_to_the_key_arn_with_the_context() {
        let context = BTreeMap::from([("db_user".to_string(), "read_only".to_string())]);
        let names = ["analytics.read_only.password".to_string()];
        let keys = [Key::Arn(KEY.into())];
        let p = policy(&input(Some(&keys), &context, &names));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let ddb = &p.document["Statement"][0];
        assert_eq!(ddb["Resource"], "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/credential-store");
        assert_eq!(ddb["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"][0], names[0]);
        let kms = &p.document["Statement"][1];
        assert_eq!(kms["Resource"], KEY);
        assert_eq!(kms["Condition"]["StringEquals"]["kms:EncryptionContext:db_user"], "read_only");
        assert_eq!(p.document["Statement"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn no_context_warns_and_unresolved_aliases_use_resource_aliases() {
        let context = BTreeMap::new();
        let names = ["x".to_string()];
        let keys = [Key::Arn(KEY.into()), Key::Alias("arn:aws-cn:kms:cn-north-1:1:alias/other".into())];
        let p = policy(&input(Some(&keys), &context, &names));
        assert!(p.warnings.iter().any(|w| w.contains("no encryption context") && w.contains("only lock")));
        assert!(p.warnings.iter().any(|w| w.contains("kms:DescribeKey")));
        let by_alias = &p.document["Statement"][2];
        assert_eq!(by_alias["Resource"], "arn:aws-cn:kms:cn-north-1:111122223333:key/*");
        assert_eq!(by_alias["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"][0], "alias/other");
        assert!(p.document["Statement"][1].get("Condition").is_none());
    }

    #[test]
    fn a_star_in_decrypt_keys_allows_every_key_with_a_warning() {
        let context = BTreeMap::from([("k".to_string(), "v".to_string())]);
        let p = policy(&input(None, &context, &[]));
        assert_eq!(p.document["Statement"][1]["Resource"], "arn:aws-cn:kms:cn-north-1:111122223333:key/*");
        assert!(p.warnings.iter().any(|w| w.contains("\"*\"")));
    }
}
