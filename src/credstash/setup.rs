//! Creating the credstash table, as `credstash setup` does.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, ProvisionedThroughput, ScalarAttributeType, Tag,
};

use super::store::Store;
use crate::{Error, Result, aws};

impl Store {
    /// Creates the table as `credstash setup` does; false if it already existed.
    pub async fn setup(&self) -> Result<bool> {
        let table = &self.loc.table;
        match self.ddb.describe_table().table_name(table).send().await {
            Ok(_) => return Ok(false),
            Err(e) => {
                let f = aws::failure(&e);
                if f.code.as_deref() != Some("ResourceNotFoundException") {
                    return Err(self.fail("dynamodb:DescribeTable", None, &f));
                }
            }
        }
        let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let built = |e: aws_sdk_dynamodb::error::BuildError| Error::Aws { message: e.to_string(), aws_code: None };
        let created = self
            .ddb
            .create_table()
            .table_name(table)
            .key_schema(key("name", KeyType::Hash).map_err(built)?)
            .key_schema(key("version", KeyType::Range).map_err(built)?)
            .attribute_definitions(attr("name").map_err(built)?)
            .attribute_definitions(attr("version").map_err(built)?)
            .provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(1)
                    .write_capacity_units(1)
                    .build()
                    .map_err(built)?,
            )
            .send()
            .await
            .map_err(|e| self.fail("dynamodb:CreateTable", None, &aws::failure(&e)))?;
        self.ddb.wait_until_table_exists().table_name(table).wait(Duration::from_secs(300)).await.map_err(|e| {
            Error::Aws { message: format!("table {table:?} was created but did not become ready: {e}"), aws_code: None }
        })?;
        if let Some(arn) = created.table_description.and_then(|d| d.table_arn) {
            self.ddb
                .tag_resource()
                .resource_arn(arn)
                .tags(Tag::builder().key("Name").value("credstash").build().map_err(built)?)
                .send()
                .await
                .map_err(|e| self.fail("dynamodb:TagResource", None, &aws::failure(&e)))?;
        }
        Ok(true)
    }
}
