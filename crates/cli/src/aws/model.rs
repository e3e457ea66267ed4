//! Service models: botocore's own, reduced by `models/generate.py` to shapes, operations and
//! paginators (botocore is Apache-2.0, Amazon.com, Inc.). They drive the query serializer,
//! the response parser and the command line, so operation names, flags and output shapes are
//! the aws CLI's by construction.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One service's model.
#[derive(Debug, Deserialize)]
pub struct Model {
    pub metadata: Metadata,
    pub operations: BTreeMap<String, Operation>,
    pub shapes: BTreeMap<String, Shape>,
    #[serde(default)]
    pub paginators: BTreeMap<String, Paginator>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub signing_name: Option<String>,
    pub endpoint_prefix: String,
    pub global_endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub input: Option<String>,
    pub output: Option<String>,
    pub result_wrapper: Option<String>,
    /// The aws CLI's name for it (`get-caller-identity`).
    pub cli: String,
    /// The HTTP binding of a rest-xml operation (S3).
    pub http: Option<Http>,
    /// Whether the request must carry a body checksum.
    #[serde(default)]
    pub checksum_required: bool,
    /// The member naming the body's checksum algorithm (`ChecksumAlgorithm`), if any.
    pub checksum_algorithm_member: Option<String>,
    /// The member asking for the response's checksums (`ChecksumMode`), if any.
    pub validation_mode_member: Option<String>,
}

/// Method and URI template (`/{Bucket}/{Key+}?tagging`) of a rest-xml operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    pub request_uri: String,
}

/// Where a rest-xml member travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
    /// A map sent as headers with a prefix (`x-amz-meta-`).
    Headers,
    StatusCode,
}

/// A reference to a shape from a member, list element or map key/value.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ref {
    pub shape: String,
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    /// The command-line flag without `--`, for members of operation inputs.
    pub cli: Option<String>,
    pub location: Option<Location>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub xml_attribute: bool,
    pub xml_namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub flattened: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Structure members in model order (the order the aws CLI prints them).
    #[serde(default)]
    pub members: Vec<(String, Ref)>,
    pub member: Option<Ref>,
    pub key: Option<Ref>,
    pub value: Option<Ref>,
    /// The member that is the whole body (rest-xml).
    pub payload: Option<String>,
    pub location_name: Option<String>,
    pub xml_namespace: Option<String>,
    /// The namespace's prefix (`xsi`), declared as `xmlns:xsi`.
    pub xml_prefix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
    Blob,
    Float,
    Double,
}

/// A paginator (`paginators-1.json`): input tokens are member names, output tokens JMESPath
/// expressions over the page, one or several of each.
#[derive(Debug, Deserialize)]
pub struct Paginator {
    pub input_token: Option<ResultKey>,
    pub output_token: Option<ResultKey>,
    pub more_results: Option<String>,
    pub limit_key: Option<String>,
    pub result_key: Option<ResultKey>,
    /// Members kept from the first page in the merged result (null when absent).
    pub non_aggregate_keys: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ResultKey {
    One(String),
    Many(Vec<String>),
}

impl ResultKey {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            ResultKey::One(k) => vec![k.as_str()],
            ResultKey::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

impl Model {
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The operation whose CLI name is `cli` (`assume-role`), with its model name.
    pub fn by_cli_name(&self, cli: &str) -> Option<(&str, &Operation)> {
        self.operations
            .iter()
            .find(|(_, op)| op.cli == cli)
            .map(|(name, op)| (name.as_str(), op))
    }

    /// The name used in signatures (`sts`, `iam`).
    pub fn signing_name(&self) -> &str {
        self.metadata
            .signing_name
            .as_deref()
            .unwrap_or(&self.metadata.endpoint_prefix)
    }
}

static STS: OnceLock<Option<Model>> = OnceLock::new();
static IAM: OnceLock<Option<Model>> = OnceLock::new();
static S3: OnceLock<Option<Model>> = OnceLock::new();

/// The query-protocol services driven by a model, by their CLI name.
pub const SERVICES: &[&str] = &["sts", "iam"];

/// The model of `service` (`sts`, `iam`, `s3`), parsed on first use.
pub fn get(service: &str) -> Option<&'static Model> {
    let (cell, text) = match service {
        "sts" => (&STS, include_str!("../../models/sts.json")),
        "iam" => (&IAM, include_str!("../../models/iam.json")),
        "s3" => (&S3, include_str!("../../models/s3.json")),
        _ => return None,
    };
    cell.get_or_init(|| serde_json::from_str(text).ok())
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_load_and_name_operations_as_the_cli() {
        let sts = get("sts").unwrap();
        let (name, op) = sts.by_cli_name("get-caller-identity").unwrap();
        assert_eq!(name, "GetCallerIdentity");
        assert_eq!(
            op.result_wrapper.as_deref(),
            Some("GetCallerIdentityResult")
        );
        let iam = get("iam").unwrap();
        assert_eq!(
            iam.by_cli_name("list-saml-providers").unwrap().0,
            "ListSAMLProviders"
        );
        let out = sts.shape("GetCallerIdentityResponse").unwrap();
        let names: Vec<_> = out.members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["UserId", "Account", "Arn"]);
        assert_eq!(iam.signing_name(), "iam");
        let s3 = get("s3").unwrap();
        let (_, op) = s3.by_cli_name("put-bucket-versioning").unwrap();
        assert_eq!(
            op.http.as_ref().unwrap().request_uri,
            "/{Bucket}?versioning"
        );
        assert!(op.checksum_required);
    }
}
