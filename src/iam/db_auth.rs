//! The IAM statements for passwords that IAM hands out (redshift-iam,
//! rds-iam): exactly the one database user, on the one cluster or instance.
//! Pure, like the credstash policy in `iam.rs`.

use serde_json::{Value as Json, json};

/// What `redshift:GetClusterCredentials` is allowed on.
#[derive(Debug, Clone)]
pub struct Redshift<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub cluster: &'a str,
    pub db_user: &'a str,
    pub dbname: &'a str,
    pub groups: &'a [String],
    pub auto_create: bool,
    /// The config names no host: the endpoint comes from DescribeClusters.
    pub describe: bool,
}

pub fn redshift(r: &Redshift<'_>) -> Vec<Json> {
    let arn = |kind: &str, rest: &str| format!("arn:{}:redshift:{}:{}:{kind}:{rest}", r.partition, r.region, r.account);
    let user = arn("dbuser", &format!("{}/{}", r.cluster, r.db_user));
    let groups: Vec<String> = r.groups.iter().map(|g| arn("dbgroup", &format!("{}/{g}", r.cluster))).collect();
    let mut resources = vec![user.clone(), arn("dbname", &format!("{}/{}", r.cluster, r.dbname))];
    resources.extend(groups.iter().cloned());
    let mut statements = vec![json!({
        "Sid": "GetItsRedshiftCredentials",
        "Effect": "Allow",
        "Action": "redshift:GetClusterCredentials",
        "Resource": resources,
    })];
    if r.auto_create {
        statements.push(json!({
            "Sid": "CreateItsRedshiftUser",
            "Effect": "Allow",
            "Action": "redshift:CreateClusterUser",
            "Resource": user,
        }));
    }
    if !groups.is_empty() {
        statements.push(json!({
            "Sid": "JoinItsRedshiftGroups",
            "Effect": "Allow",
            "Action": "redshift:JoinGroup",
            "Resource": groups,
        }));
    }
    if r.describe {
        statements.push(json!({
            "Sid": "FindItsRedshiftEndpoint",
            "Effect": "Allow",
            "Action": "redshift:DescribeClusters",
            "Resource": arn("cluster", r.cluster),
        }));
    }
    statements
}

/// What `rds-db:connect` is allowed on. The instance's resource id
/// (`db-...`) is not in the config: without it the statement names any
/// instance, with a warning to narrow it.
#[derive(Debug, Clone)]
pub struct Rds<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource_id: Option<&'a str>,
    pub db_user: &'a str,
}

pub fn rds(r: &Rds<'_>) -> (Vec<Json>, Vec<String>) {
    let mut warnings = Vec::new();
    let resource_id = r.resource_id.unwrap_or_else(|| {
        warnings.push(format!(
            "the instance's resource id is not known, so this allows rds-db:connect as {:?} on every instance in \
             account {} ({}). Pass --resource-id db-... (aws rds describe-db-instances --query \
             'DBInstances[].DbiResourceId', or DbClusterResourceId for Aurora) to narrow it.",
            r.db_user, r.account, r.region
        ));
        "*"
    });
    let statement = json!({
        "Sid": "ConnectAsItsDatabaseUser",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": format!("arn:{}:rds-db:{}:{}:dbuser:{resource_id}/{}", r.partition, r.region, r.account, r.db_user),
    });
    (vec![statement], warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redshift_names_the_user_the_database_and_the_groups() {
        let groups = ["analysts".to_string()];
        let s = redshift(&Redshift {
            partition: "aws",
            region: "eu-west-1",
            account: "111122223333",
            cluster: "warehouse",
            db_user: "read_only",
            dbname: "dev",
            groups: &groups,
            auto_create: true,
            describe: true,
        });
        assert_eq!(s[0]["Action"], "redshift:GetClusterCredentials");
        assert_eq!(s[0]["Resource"][0], "arn:aws:redshift:eu-west-1:111122223333:dbuser:warehouse/read_only");
        assert_eq!(s[0]["Resource"][1], "arn:aws:redshift:eu-west-1:111122223333:dbname:warehouse/dev");
        assert_eq!(s[0]["Resource"][2], "arn:aws:redshift:eu-west-1:111122223333:dbgroup:warehouse/analysts");
        assert_eq!(s[1]["Action"], "redshift:CreateClusterUser");
        assert_eq!(s[2]["Action"], "redshift:JoinGroup");
        assert_eq!(s[3]["Resource"], "arn:aws:redshift:eu-west-1:111122223333:cluster:warehouse");
        let plain = redshift(&Redshift { groups: &[], auto_create: false, describe: false, ..s_input() });
        assert_eq!(plain.len(), 1);
    }

    fn s_input() -> Redshift<'static> {
        Redshift {
            partition: "aws",
            region: "us-east-1",
            account: "1",
            cluster: "c",
            db_user: "u",
            dbname: "d",
            groups: &[],
            auto_create: false,
            describe: false,
        }
    }

    #[test]
    fn rds_names_the_resource_id_or_warns() {
        let input = Rds { partition: "aws", region: "us-east-1", account: "1", resource_id: None, db_user: "app" };
        let (s, warnings) = rds(&input);
        assert_eq!(s[0]["Resource"], "arn:aws:rds-db:us-east-1:1:dbuser:*/app");
        assert!(warnings[0].contains("--resource-id"));
        let (s, warnings) = rds(&Rds { resource_id: Some("db-ABC"), ..input });
        assert_eq!(s[0]["Resource"], "arn:aws:rds-db:us-east-1:1:dbuser:db-ABC/app");
        assert!(warnings.is_empty());
    }
}
