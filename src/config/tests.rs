use std::io::Write;
use std::time::Duration;

use super::*;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn load_one(text: &str) -> (tempfile::NamedTempFile, crate::Result<Config>) {
    let f = file(text);
    let sources = Sources { env_file: Some(f.path().into()), ..Sources::default() };
    let result = Config::load(&sources);
    (f, result)
}

const EXAMPLE: &str = r##"
[credstash]
table = "credential-store"
kms_key = "alias/credstash"

[access]
contact = "#data-platform"

[databases.analytics]
host = "analytics.example.com"
port = 5439
sslmode = "require"
password_secret = "analytics.{user}.password"
context = { database = "analytics", db_user = "{user}" }
default_user = "read_only"
default_timeout = "60s"
max_timeout = "15m"

[databases.analytics.users.read_only]
allow = ["account:123456789012"]
[databases.analytics.users.read_write]
allow = ["arn:aws:iam::123456789012:user/alice"]
external_id = "s3cr3t-id"

[databases.warehouse]
host = "wh"
"##;

#[test]
fn the_design_example_parses_with_defaults_filled_in() {
    let (_f, config) = load_one(EXAMPLE);
    let config = config.unwrap();
    assert_eq!(config.credstash.cache_ttl, DEFAULT_CACHE_TTL);
    assert_eq!(config.access.contact.as_deref(), Some("#data-platform"));
    let db = config.database(None).unwrap();
    assert_eq!(db.name, "analytics", "the first database is the default");
    assert_eq!((db.port, db.dbname.as_str(), db.sslmode), (5439, "analytics", SslMode::Require));
    assert_eq!(db.max_timeout, Some(Duration::from_secs(900)));
    assert_eq!((db.max_result_rows, db.max_result_bytes), (None, None), "no result size limit by default");
    assert_eq!(db.password_secret_for("read_write"), "analytics.read_write.password");
    assert_eq!(db.context_for("read_write")["db_user"], "read_write");
    assert_eq!(db.user(None).unwrap(), "read_only");
    let wh = config.database(Some("warehouse")).unwrap();
    assert_eq!((wh.port, wh.sslmode, wh.connect_timeout), (5432, SslMode::VerifyFull, DEFAULT_CONNECT_TIMEOUT));
}

#[test]
fn debug_output_hides_the_external_id() {
    let (_f, config) = load_one(EXAMPLE);
    let text = format!("{:?}", config.unwrap());
    assert!(!text.contains("s3cr3t-id"), "{text}");
    assert!(text.contains("<redacted>"));
}

#[test]
fn errors_name_the_file_the_key_and_the_problem() {
    let cases = [
        ("[databases.a]\nhots = \"x\"\n", "databases.a.hots", "unknown key"),
        ("[databases.a]\nport = \"abc\"\n", "databases.a.port", "expected an integer"),
        ("[databases.a]\nport = 70000\n", "databases.a.port", "65535"),
        ("[databases.a]\nsslmode = \"sometimes\"\n", "databases.a.sslmode", "verify-full"),
        ("[databases.a]\ndefault_timeout = \"soon\"\n", "databases.a.default_timeout", "duration"),
        ("[databases.a]\ndefault_timeout = \"1h\"\nmax_timeout = \"15m\"\n", "default_timeout", "above max_timeout"),
        ("[databases.a]\npassword_secret = \"{db}.pw\"\n", "password_secret", "{db}"),
        ("[databases.a.users.x]\nallow = \"*\"\n", "databases.a.users.x.allow", "list of strings"),
        (
            "[databases.a]\ndefault_user = \"y\"\n[databases.a.users.x]\nallow=[]\n",
            "default_user",
            "no [databases.a.users.y]",
        ),
        ("[databases.a]\nmax_result_rows = 0\n", "databases.a.max_result_rows", "above 0"),
        ("[databases.a]\nmax_result_rows = -5\n", "databases.a.max_result_rows", "whole number of rows"),
        ("[databases.a]\nmax_result_rows = 1.5\n", "databases.a.max_result_rows", "an integer"),
        ("[databases.a]\nmax_result_bytes = \"500MB\"\n", "databases.a.max_result_bytes", "an integer"),
        ("[databases.a]\nmax_result_bytes = 0\n", "databases.a.max_result_bytes", "whole number of bytes"),
        ("[credstash]\ncache_ttl = true\n", "credstash.cache_ttl", "duration"),
        ("[nonsense]\n", "nonsense", "unknown key"),
        ("[databases.a\n", "not valid TOML", "line 1"),
    ];
    for (text, key, what) in cases {
        let (f, result) = load_one(text);
        let message = result.unwrap_err().to_string();
        let path = f.path().display().to_string();
        assert!(message.contains(&path), "{text:?}: no file in {message}");
        assert!(message.contains(key), "{text:?}: no key in {message}");
        assert!(message.contains(what), "{text:?}: {message}");
    }
}

#[test]
fn later_sources_win_and_origins_are_tracked() {
    let packaged =
        file("[credstash]\ntable = \"packaged\"\nkms_key = \"alias/p\"\n[databases.a]\nhost = \"h1\"\nport = 1\n");
    let user = file("[databases.a]\nport = 2\n");
    let env_file = file("[databases.a]\ncontext = { x = \"1\" }\n");
    let sources = Sources {
        packaged: Some(packaged.path().into()),
        user: Some(user.path().into()),
        env_file: Some(env_file.path().into()),
        env_vars: vec![("MIDDLEWARE_CREDSTASH_TABLE".into(), "from-env".into())],
    };
    let mut layered = Layered::load(&sources).unwrap();
    layered.set("databases.a.port", toml::Value::Integer(3), &Source::Argument("port".into()));
    let config = layered.resolve().unwrap();
    assert_eq!(config.credstash.table, "from-env");
    assert_eq!(config.credstash.kms_key, "alias/p");
    let db = config.database(Some("a")).unwrap();
    assert_eq!((db.host.as_deref(), db.port), (Some("h1"), 3));
    assert_eq!(layered.origin("credstash.table"), Source::EnvVar("MIDDLEWARE_CREDSTASH_TABLE".into()));
    assert_eq!(layered.origin("databases.a.host"), Source::Packaged(packaged.path().into()));
    assert_eq!(layered.origin("databases.a.port"), Source::Argument("port".into()));
    assert_eq!(layered.origin("databases.a.context.x"), Source::EnvFile(env_file.path().into()));
    assert_eq!(layered.origin("credstash.region"), Source::Default);
}

#[test]
fn env_var_values_are_validated_like_file_values() {
    let sources =
        Sources { env_vars: vec![("MIDDLEWARE_CREDSTASH_CACHE_TTL".into(), "forever".into())], ..Sources::default() };
    let message = Config::load(&sources).unwrap_err().to_string();
    assert!(message.contains("MIDDLEWARE_CREDSTASH_CACHE_TTL") && message.contains("forever"), "{message}");
    let zero = Sources { env_vars: vec![("MIDDLEWARE_CREDSTASH_CACHE_TTL".into(), "0".into())], ..Sources::default() };
    assert_eq!(Config::load(&zero).unwrap().credstash.cache_ttl, Duration::ZERO);
}

#[test]
fn missing_optional_files_are_fine_but_a_named_one_must_exist() {
    let absent = std::path::PathBuf::from("/nonexistent/middleware.toml");
    let quiet = Sources { packaged: Some(absent.clone()), user: Some(absent.clone()), ..Sources::default() };
    assert!(Config::load(&quiet).unwrap().databases.is_empty());
    let named = Sources { env_file: Some(absent), ..Sources::default() };
    let message = Config::load(&named).unwrap_err().to_string();
    assert!(message.contains("MIDDLEWARE_CONFIG") && message.contains("/nonexistent"), "{message}");
}

#[test]
fn unknown_database_lists_the_known_ones() {
    let (_f, config) = load_one(EXAMPLE);
    let message = config.unwrap().database(Some("nope")).unwrap_err().to_string();
    assert!(message.contains("analytics, warehouse"), "{message}");
}

#[test]
fn verify_ca_needs_a_root_certificate_and_insecure_passwords_are_opt_in() {
    let (_f, result) = load_one("[databases.a]\nhost = \"h\"\nsslmode = \"verify-ca\"\n");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("databases.a.sslrootcert") && err.contains("verify-ca"), "{err}");
    let (_f, result) = load_one("[databases.a]\nhost = \"h\"\nsslmode = \"require\"\nallow_insecure_password = true\n");
    let config = result.unwrap();
    assert!(config.database(Some("a")).unwrap().allow_insecure_password);
    let (_f, result) = load_one("[databases.a]\nhost = \"h\"\n");
    assert!(!result.unwrap().database(Some("a")).unwrap().allow_insecure_password);
}

#[test]
fn decrypt_keys_default_to_the_kms_key_and_take_a_list_or_comma_separated_env() {
    let (_f, config) = load_one("[credstash]\nkms_key = \"alias/mine\"\n");
    assert_eq!(config.unwrap().credstash.decrypt_keys(), ["alias/mine"]);
    let (_f, config) = load_one("[credstash]\ndecrypt_keys = [\"alias/a\", \"*\"]\n");
    assert_eq!(config.unwrap().credstash.decrypt_keys(), ["alias/a", "*"]);
    let env = Sources {
        env_vars: vec![("MIDDLEWARE_CREDSTASH_DECRYPT_KEYS".into(), "alias/a, arn:aws:kms:r:1:key/k".into())],
        ..Sources::default()
    };
    assert_eq!(Config::load(&env).unwrap().credstash.decrypt_keys(), ["alias/a", "arn:aws:kms:r:1:key/k"]);
    let (_f, empty) = load_one("[credstash]\ndecrypt_keys = []\n");
    let message = empty.unwrap_err().to_string();
    assert!(message.contains("credstash.decrypt_keys") && message.contains("at least one"), "{message}");
}

#[test]
fn password_sources_per_database_and_per_user() {
    let (_f, config) = load_one(
        r#"
[databases.wh]
host = "wh.example.com"
password_source = "redshift-iam"
cluster_identifier = "warehouse"
db_groups = ["analysts"]
credentials_duration = "30m"
region = "eu-west-1"
[databases.wh.users.read_only]
allow = ["account:1"]
[databases.wh.users.loader]
allow = ["account:1"]
password_source = "credstash"
[databases.wh.users.etl]
allow = ["account:1"]
db_groups = ["etl", "analysts"]
"#,
    );
    let config = config.unwrap();
    let db = config.database(Some("wh")).unwrap();
    assert_eq!(db.source_for("read_only"), PasswordSource::RedshiftIam);
    assert_eq!(db.source_for("loader"), PasswordSource::Credstash);
    assert_eq!(db.source_for("someone"), PasswordSource::RedshiftIam);
    assert_eq!(db.db_groups_for("read_only"), ["analysts".to_string()]);
    assert_eq!(db.db_groups_for("etl"), ["etl".to_string(), "analysts".to_string()]);
    assert_eq!(db.credentials_duration, Duration::from_secs(1800));
    assert_eq!(db.region.as_deref(), Some("eu-west-1"));
    assert!(!db.auto_create);
}

#[test]
fn password_source_errors_name_the_key_and_the_fix() {
    let cases = [
        ("password_source = \"vault\"", "databases.x.password_source: must be one of credstash, redshift-iam, rds-iam"),
        ("password_source = \"redshift-iam\"", "databases.x.cluster_identifier: is required"),
        ("cluster_identifier = \"c\"", "databases.x.cluster_identifier: only takes effect with password_source"),
        (
            "password_source = \"redshift-iam\"\ncluster_identifier = \"c\"\ncredentials_duration = \"2h\"",
            "databases.x.credentials_duration: must be from 15m to 1h",
        ),
        ("password_source = \"rds-iam\"\nsslmode = \"require\"", "databases.x.sslmode: is \"require\", but"),
    ];
    for (keys, expected) in cases {
        let (_f, result) = load_one(&format!("[databases.x]\nhost = \"h\"\n{keys}\n"));
        let err = result.unwrap_err().to_string();
        assert!(err.contains(expected), "{keys}: {err}");
    }
    // A user's own source counts too.
    let (_f, result) = load_one(
        "[databases.x]\nhost = \"h\"\nsslmode = \"prefer\"\n[databases.x.users.u]\npassword_source = \"rds-iam\"\n",
    );
    assert!(result.unwrap_err().to_string().contains("sends its token only over verified TLS"));
}

#[test]
fn result_size_limits_parse_from_numbers_and_text() {
    let (_f, config) = load_one("[databases.a]\nmax_result_rows = 100_000\nmax_result_bytes = \"500000000\"\n");
    let db = config.unwrap().database(Some("a")).unwrap().clone();
    assert_eq!((db.max_result_rows, db.max_result_bytes), (Some(100_000), Some(500_000_000)));
}
