//! The AWS managed policies present in every account (`arn:aws:iam::aws:policy/...`).
//!
//! The documents are abridged to the services roleplay serves (IAM, STS, S3); each keeps the
//! shape and intent of AWS's own version.

/// An AWS managed policy: name, path, description and document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsManagedPolicy {
    /// The policy name.
    pub name: &'static str,
    /// The IAM path.
    pub path: &'static str,
    /// AWS's description.
    pub description: &'static str,
    /// The policy document.
    pub document: &'static str,
}

impl AwsManagedPolicy {
    /// `arn:aws:iam::aws:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        let path = self.path.trim_start_matches('/');
        format!("arn:aws:iam::aws:policy/{path}{}", self.name)
    }
}

/// Every AWS managed policy roleplay knows.
pub const AWS_MANAGED_POLICIES: &[AwsManagedPolicy] = &[
    AwsManagedPolicy {
        name: "AdministratorAccess",
        path: "/",
        description: "Provides full access to AWS services and resources.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "ReadOnlyAccess",
        path: "/",
        description: "Provides read-only access to AWS services and resources.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Generate*","iam:Get*","iam:List*","iam:Simulate*","s3:Describe*","s3:Get*","s3:List*","sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "AmazonS3FullAccess",
        path: "/",
        description: "Provides full access to all buckets via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "AmazonS3ReadOnlyAccess",
        path: "/",
        description: "Provides read only access to all buckets via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "IAMFullAccess",
        path: "/",
        description: "Provides full access to IAM via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "IAMReadOnlyAccess",
        path: "/",
        description: "Provides read only access to IAM via the AWS Management Console.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "IAMUserChangePassword",
        path: "/",
        description: "Provides the ability for an IAM user to change their own password.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#,
    },
];

/// The AWS managed policy with this ARN.
pub fn find(arn: &str) -> Option<&'static AwsManagedPolicy> {
    AWS_MANAGED_POLICIES.iter().find(|p| p.arn() == arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleplay_policy::{ParseOptions, Policy, PolicyKind};

    #[test]
    fn documents_are_valid_managed_policies() {
        for p in AWS_MANAGED_POLICIES {
            let parsed = Policy::parse_with(
                p.document,
                PolicyKind::Identity,
                ParseOptions {
                    require_current_version: true,
                },
            );
            assert!(parsed.is_ok(), "{}: {parsed:?}", p.name);
        }
        assert!(find("arn:aws:iam::aws:policy/AmazonS3FullAccess").is_some());
        assert!(find("arn:aws:iam::aws:policy/Nope").is_none());
    }
}
