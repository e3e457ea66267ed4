//! Amazon Resource Names: `arn:partition:service:region:account:resource`.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>.

use std::fmt;
use std::str::FromStr;

/// A parsed ARN. The resource part may itself contain `:` and `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// `iam`, `sts`, `s3`, ...
    pub service: String,
    /// Empty for global services.
    pub region: String,
    /// Empty for S3 buckets and objects; `aws` for AWS-managed IAM policies.
    pub account: String,
    /// Everything after the fifth colon.
    pub resource: String,
}

/// Why a text is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// The text does not start with `arn:`.
    #[error("`{0}` does not start with `arn:`")]
    Prefix(String),
    /// Fewer than six colon-separated parts.
    #[error("`{0}` has fewer than six colon-separated parts")]
    TooFewParts(String),
    /// Partition or service is empty.
    #[error("`{0}` has an empty partition or service")]
    Empty(String),
}

impl Arn {
    fn new(service: &str, region: &str, account: &str, resource: String) -> Self {
        Self {
            partition: "aws".to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource,
        }
    }

    /// `arn:aws:iam::ACCOUNT:root`.
    pub fn iam_root(account: &str) -> Self {
        Self::new("iam", "", account, "root".to_owned())
    }

    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`; `path` is an IAM path such as `/` or `/dev/`.
    pub fn iam_user(account: &str, path: &str, name: &str) -> Self {
        Self::new("iam", "", account, with_path("user", path, name))
    }

    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub fn iam_role(account: &str, path: &str, name: &str) -> Self {
        Self::new("iam", "", account, with_path("role", path, name))
    }

    /// `arn:aws:iam::ACCOUNT:group/PATH/NAME`.
    pub fn iam_group(account: &str, path: &str, name: &str) -> Self {
        Self::new("iam", "", account, with_path("group", path, name))
    }

    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub fn iam_policy(account: &str, path: &str, name: &str) -> Self {
        Self::new("iam", "", account, with_path("policy", path, name))
    }

    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (session ARNs carry no role path).
    pub fn sts_assumed_role(account: &str, role: &str, session: &str) -> Self {
        Self::new(
            "sts",
            "",
            account,
            ["assumed-role/", role, "/", session].concat(),
        )
    }

    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub fn sts_federated_user(account: &str, name: &str) -> Self {
        Self::new("sts", "", account, ["federated-user/", name].concat())
    }

    /// `arn:aws:s3:::BUCKET`.
    pub fn s3_bucket(bucket: &str) -> Self {
        Self::new("s3", "", "", bucket.to_owned())
    }

    /// `arn:aws:s3:::BUCKET/KEY`.
    pub fn s3_object(bucket: &str, key: &str) -> Self {
        Self::new("s3", "", "", format!("{bucket}/{key}"))
    }

    /// [`Arn::s3_object`] as text, built in one allocation: every object request needs it.
    pub fn s3_object_text(bucket: &str, key: &str) -> String {
        const HEAD: &str = "arn:aws:s3:::";
        let mut out = String::with_capacity(HEAD.len() + bucket.len() + 1 + key.len());
        out.push_str(HEAD);
        out.push_str(bucket);
        out.push('/');
        out.push_str(key);
        out
    }

    /// The resource type: the resource part up to its first `/` or `:`.
    pub fn resource_type(&self) -> &str {
        self.resource
            .split(['/', ':'])
            .next()
            .unwrap_or(self.resource.as_str())
    }

    /// Whether this is `arn:PARTITION:iam::ACCOUNT:root`.
    pub fn is_iam_root(&self) -> bool {
        self.service == "iam" && self.region.is_empty() && self.resource == "root"
    }
}

fn with_path(kind: &str, path: &str, name: &str) -> String {
    // IAM paths start and end with `/`; the ARN drops the leading one.
    let path = path.strip_prefix('/').unwrap_or(path);
    format!("{kind}/{path}{name}")
}

impl FromStr for Arn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("arn:")
            .ok_or_else(|| ArnError::Prefix(s.to_owned()))?;
        let mut parts = rest.splitn(5, ':');
        let mut next = || {
            parts
                .next()
                .ok_or_else(|| ArnError::TooFewParts(s.to_owned()))
        };
        let (partition, service, region, account, resource) =
            (next()?, next()?, next()?, next()?, next()?);
        if partition.is_empty() || service.is_empty() {
            return Err(ArnError::Empty(s.to_owned()));
        }
        Ok(Self {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl Arn {
    /// The text's pieces, in order.
    fn pieces(&self) -> [&str; 10] {
        [
            "arn:",
            &self.partition,
            ":",
            &self.service,
            ":",
            &self.region,
            ":",
            &self.account,
            ":",
            &self.resource,
        ]
    }

    /// The ARN as text, as `to_string` writes it, in one allocation of the right size
    /// (`to_string` grows its string piece by piece; a request makes several of these).
    #[must_use]
    pub fn text(&self) -> String {
        self.text_with("")
    }

    /// The ARN as text followed by `suffix`, in one allocation.
    #[must_use]
    pub fn text_with(&self, suffix: &str) -> String {
        let pieces = self.pieces();
        let len = pieces.iter().map(|p| p.len()).sum::<usize>() + suffix.len();
        let mut out = String::with_capacity(len);
        for piece in pieces {
            out.push_str(piece);
        }
        out.push_str(suffix);
        out
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Piece by piece: `write!` with five arguments costs more than the copying.
        for piece in self.pieces() {
            f.write_str(piece)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_what_display_writes() {
        for arn in [
            Arn::s3_object("b", "k/x"),
            Arn::sts_assumed_role("345345345345", "accounta", "s1"),
            "arn:aws-cn:iam::123123123123:role/p/q/r".parse().unwrap(),
        ] {
            assert_eq!(arn.text(), arn.to_string());
            assert_eq!(arn.text_with("#trust"), format!("{arn}#trust"));
        }
    }

    #[test]
    fn object_arn_text_is_the_object_arn() {
        for (bucket, key) in [("b", "k"), ("my.bucket", "a/b:c d"), ("x", "")] {
            let text = Arn::s3_object_text(bucket, key);
            assert_eq!(text, Arn::s3_object(bucket, key).to_string());
            assert_eq!(text.parse::<Arn>().unwrap(), Arn::s3_object(bucket, key));
        }
    }

    #[test]
    fn round_trips_and_keeps_colons_in_resource() {
        let s = "arn:aws:logs:us-east-1:123123123123:log-group:/a/b:*";
        let arn: Arn = s.parse().unwrap();
        assert_eq!(arn.service, "logs");
        assert_eq!(arn.region, "us-east-1");
        assert_eq!(arn.resource, "log-group:/a/b:*");
        assert_eq!(arn.resource_type(), "log-group");
        assert_eq!(arn.to_string(), s);
    }

    #[test]
    fn constructors() {
        assert_eq!(
            Arn::iam_root("123123123123").to_string(),
            "arn:aws:iam::123123123123:root"
        );
        assert_eq!(
            Arn::iam_role("345345345345", "/", "accounta").to_string(),
            "arn:aws:iam::345345345345:role/accounta"
        );
        assert_eq!(
            Arn::iam_user("1", "/division_abc/", "JaneDoe").to_string(),
            "arn:aws:iam::1:user/division_abc/JaneDoe"
        );
        assert_eq!(
            Arn::sts_assumed_role("345345345345", "accounta", "s1").to_string(),
            "arn:aws:sts::345345345345:assumed-role/accounta/s1"
        );
        assert_eq!(Arn::s3_object("b", "a/b").to_string(), "arn:aws:s3:::b/a/b");
        assert!(Arn::iam_root("1").is_iam_root());
    }

    #[test]
    fn rejects_non_arns() {
        assert!("arn:aws:s3".parse::<Arn>().is_err());
        assert!("urn:aws:s3:::b".parse::<Arn>().is_err());
        assert!("arn::s3:::b".parse::<Arn>().is_err());
    }
}
