//! Responses built the way the server will build them, shared by the golden and oracle tests.

use roleplay_wire::envelope::{self, ErrorResponse, Fault, IAM_NAMESPACE, STS_NAMESPACE};
use roleplay_wire::query::percent_encode;
use roleplay_wire::xml::XmlWriter;
use time::OffsetDateTime;
use time::macros::datetime;

pub const REQUEST_ID: &str = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE";
pub const CREATED: OffsetDateTime = datetime!(2026-11-27 19:43:17 UTC);
pub const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123123123123:root"},"Action":"sts:AssumeRole","Condition":{}}]}"#;

fn user(w: &mut XmlWriter, name: &str, id: &str) {
    w.text_element("Path", "/")
        .text_element("UserName", name)
        .text_element("UserId", id)
        .text_element("Arn", &format!("arn:aws:iam::123123123123:user/{name}"))
        .timestamp_element("CreateDate", CREATED);
}

pub fn get_user() -> String {
    envelope::query_response("GetUser", IAM_NAMESPACE, REQUEST_ID, |w| {
        w.element("User", |w| {
            user(w, "alice", "AIDAEXAMPLEALICE00001");
            w.member_list("Tags", [("team", "a&b <c>")], |w, (k, v)| {
                w.text_element("Key", k).text_element("Value", v);
            });
        });
    })
}

pub fn create_role() -> String {
    envelope::query_response("CreateRole", IAM_NAMESPACE, REQUEST_ID, |w| {
        w.element("Role", |w| {
            w.text_element("Path", "/")
                .text_element("RoleName", "accounta")
                .text_element("RoleId", "AROAEXAMPLEROLE000001")
                .text_element("Arn", "arn:aws:iam::345345345345:role/accounta")
                .timestamp_element("CreateDate", CREATED)
                .text_element("AssumeRolePolicyDocument", &percent_encode(TRUST_POLICY))
                .display_element("MaxSessionDuration", 3600);
        });
    })
}

pub fn list_users() -> String {
    envelope::query_response("ListUsers", IAM_NAMESPACE, REQUEST_ID, |w| {
        w.member_list(
            "Users",
            [
                ("alice", "AIDAEXAMPLEALICE00001"),
                ("bob", "AIDAEXAMPLEBOB0000001"),
            ],
            |w, (name, id)| user(w, name, id),
        )
        .display_element("IsTruncated", true)
        .text_element("Marker", "bob");
    })
}

pub fn delete_user() -> String {
    envelope::query_response_empty("DeleteUser", IAM_NAMESPACE, REQUEST_ID)
}

pub fn get_caller_identity() -> String {
    envelope::query_response("GetCallerIdentity", STS_NAMESPACE, REQUEST_ID, |w| {
        w.text_element("UserId", "AROAEXAMPLEROLE000001:botocore-session-1")
            .text_element("Account", "345345345345")
            .text_element(
                "Arn",
                "arn:aws:sts::345345345345:assumed-role/accounta/botocore-session-1",
            );
    })
}

pub fn assume_role() -> String {
    envelope::query_response("AssumeRole", STS_NAMESPACE, REQUEST_ID, |w| {
        w.element("Credentials", |w| {
            w.text_element("AccessKeyId", "ASIAEXAMPLEKEY000001")
                .text_element(
                    "SecretAccessKey",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                )
                .text_element("SessionToken", "c2Vzc2lvbg+/=")
                .timestamp_element("Expiration", CREATED);
        })
        .element("AssumedRoleUser", |w| {
            w.text_element("AssumedRoleId", "AROAEXAMPLEROLE000001:s1")
                .text_element("Arn", "arn:aws:sts::345345345345:assumed-role/accounta/s1");
        })
        .display_element("PackedPolicySize", 6)
        .text_element("SourceIdentity", "alice");
    })
}

pub fn sts_error() -> String {
    envelope::query_error(&ErrorResponse {
        namespace: STS_NAMESPACE,
        fault: Fault::Sender,
        code: "AccessDenied",
        message: "User: arn:aws:iam::123123123123:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::345345345345:role/accounta",
        request_id: REQUEST_ID,
    })
}
