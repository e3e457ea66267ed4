//! Account-wide reads.

use super::{page_end, paging, respond};
use crate::query::{Checks, Failure};
use roleplay_engine::{Engine, Identity, RequestInfo};
use roleplay_wire::query::Params;

pub(super) fn handle(
    engine: &Engine,
    id: &Identity,
    info: &RequestInfo,
    p: &Params,
    action: &str,
    rid: &str,
) -> Option<Result<String, Failure>> {
    let run = || -> Result<String, Failure> {
        let mut c = Checks::new(p);
        match action {
            "ListAccountAliases" => {
                let pg = paging(&mut c)?;
                c.finish()?;
                let page = engine.list_account_aliases(id, info, &pg)?;
                Ok(respond(action, rid, |w| {
                    w.text_member_list("AccountAliases", &page.items);
                    page_end(w, &page);
                }))
            }
            "GetAccountSummary" => {
                c.finish()?;
                let summary = engine.get_account_summary(id, info)?;
                Ok(respond(action, rid, |w| {
                    w.element("SummaryMap", |w| {
                        for (key, value) in &summary {
                            w.element("entry", |w| {
                                w.text_element("key", key).display_element("value", value);
                            });
                        }
                    });
                }))
            }
            _ => {
                // GetAccessKeyLastUsed
                let key = c.required(
                    "AccessKeyId",
                    16,
                    128,
                    |ch| ch.is_ascii_alphanumeric() || ch == '_',
                    "[\\w]+",
                );
                c.finish()?;
                let usage = engine.get_access_key_last_used(id, info, &key)?;
                Ok(respond(action, rid, |w| {
                    w.optional_text_element("UserName", usage.user_name.as_deref());
                    w.element("AccessKeyLastUsed", |w| match &usage.last_used {
                        Some(u) => {
                            w.timestamp_element("LastUsedDate", u.date)
                                .text_element("ServiceName", &u.service)
                                .text_element("Region", &u.region);
                        }
                        None => {
                            w.text_element("ServiceName", "N/A")
                                .text_element("Region", "N/A");
                        }
                    });
                }))
            }
        }
    };
    match action {
        "ListAccountAliases" | "GetAccountSummary" | "GetAccessKeyLastUsed" => Some(run()),
        _ => None,
    }
}
