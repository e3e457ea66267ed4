//! What IAM state implies, kept between requests: the owner of a long-term key, a
//! principal's compiled policies, a managed policy's default version, a role, a bucket's
//! configuration. Every entry is tagged with the store's IAM generation it was read under
//! and is used only while the store still reports that generation, so any committed IAM or
//! bucket write invalidates everything at once.
//!
//! Objects' latest versions are kept the same way under the store's object generation, which
//! any committed object or upload write moves: a run of reads of the same objects reads the
//! store once per object, and the first write anywhere starts the cache over.

use roleplay_policy::{Policy, PolicyKind};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// Entries per map before it starts over (a bound on memory, not an eviction policy).
const LIMIT: usize = 10_000;

/// A map valid for one IAM generation.
pub(crate) struct GenMap<K, V> {
    inner: Mutex<(u64, HashMap<K, V>)>,
}

impl<K, V> Default for GenMap<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new((0, HashMap::new())),
        }
    }
}

impl<K: Eq + Hash, V: Clone> GenMap<K, V> {
    fn lock(&self) -> MutexGuard<'_, (u64, HashMap<K, V>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value cached for `key` under `generation`.
    pub(crate) fn get<Q>(&self, generation: u64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.lock();
        (map.0 == generation).then(|| map.1.get(key).cloned())?
    }

    /// Keeps `value`, read under `generation`; older generations are dropped, and a value
    /// read under an older generation than the map's is not kept.
    pub(crate) fn insert(&self, generation: u64, key: K, value: V) {
        let mut guard = self.lock();
        let (held, map) = &mut *guard;
        if !admit(held, generation, || map.clear()) {
            return;
        }
        if map.len() >= LIMIT {
            map.clear();
        }
        map.insert(key, value);
    }

    /// The value for `key` as a read transaction at `generation` sees it: from the map, or
    /// made by `fill` and kept. `None` (a write transaction) always fills and keeps nothing.
    pub(crate) fn get_or_fill<E>(
        &self,
        generation: Option<u64>,
        key: K,
        fill: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(hit) = generation.and_then(|g| self.get(g, &key)) {
            return Ok(hit);
        }
        let value = fill()?;
        if let Some(g) = generation {
            self.insert(g, key, value.clone());
        }
        Ok(value)
    }
}

/// Whether a value read under `generation` may be kept in a map held for `*held`: not when
/// it is older; a newer one moves the map to it, emptied by `clear`.
fn admit(held: &mut u64, generation: u64, clear: impl FnOnce()) -> bool {
    if generation < *held {
        return false;
    }
    if generation > *held {
        *held = generation;
        clear();
    }
    true
}

/// Inline body bytes the object cache holds before it starts over.
const OBJECT_BYTES: usize = 16 * 1024 * 1024;

/// The latest version of objects by bucket and key, valid for one object generation and
/// bounded in entries and in the inline body bytes it holds.
#[derive(Default)]
pub(crate) struct ObjectCache {
    inner: Mutex<Objects>,
}

#[derive(Default)]
struct Objects {
    generation: u64,
    /// Bucket → key → version.
    map: HashMap<String, HashMap<String, Arc<roleplay_store::ObjectVersion>>>,
    entries: usize,
    bytes: usize,
}

impl ObjectCache {
    fn lock(&self) -> MutexGuard<'_, Objects> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The latest version of `bucket`/`key` cached under `generation`.
    pub(crate) fn get(
        &self,
        generation: u64,
        bucket: &str,
        key: &str,
    ) -> Option<Arc<roleplay_store::ObjectVersion>> {
        let objects = self.lock();
        if objects.generation != generation {
            return None;
        }
        objects.map.get(bucket)?.get(key).cloned()
    }

    /// Keeps `version`, read under `generation`, as `bucket`/`key`'s latest.
    pub(crate) fn insert(
        &self,
        generation: u64,
        bucket: &str,
        key: &str,
        version: Arc<roleplay_store::ObjectVersion>,
    ) {
        let weight = key.len()
            + version
                .body
                .iter()
                .filter_map(|s| s.inline.as_ref().map(|b| b.len()))
                .sum::<usize>();
        let mut guard = self.lock();
        let objects = &mut *guard;
        let mut stale = false;
        if !admit(&mut objects.generation, generation, || stale = true) {
            return;
        }
        if stale || objects.entries >= LIMIT || objects.bytes + weight > OBJECT_BYTES {
            objects.clear();
        }
        let previous = objects
            .map
            .entry(bucket.to_owned())
            .or_default()
            .insert(key.to_owned(), version);
        if previous.is_none() {
            objects.entries += 1;
            objects.bytes += weight;
        }
    }
}

impl Objects {
    fn clear(&mut self) {
        self.map.clear();
        self.entries = 0;
        self.bytes = 0;
    }
}

/// Who a principal is, for its cached policies: account, kind, name and unique id (a
/// recreated principal has a new id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PrincipalKey {
    pub account: String,
    pub role: bool,
    pub name: String,
    pub unique_id: String,
}

/// The identity-based policies and boundary of one user or role.
#[derive(Debug, Default)]
pub(crate) struct PrincipalPolicies {
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
}

/// The caches of one engine.
#[derive(Default)]
pub(crate) struct IamCache {
    /// Long-term access key id → its owner and secret.
    pub keys: GenMap<String, Arc<crate::Authenticated>>,
    /// A session's principal → the user behind it (user sessions) and the role's tags.
    pub sessions: GenMap<(String, String, String), SessionPrincipal>,
    /// User or role → its policies.
    pub principals: GenMap<PrincipalKey, Arc<PrincipalPolicies>>,
    /// Bucket name → the bucket (`None`: no such bucket), for every S3 request.
    pub buckets: GenMap<String, Option<roleplay_store::Bucket>>,
    /// Role ARN → the role (`None`: no such role), for AssumeRole's trust check.
    pub roles: GenMap<String, Option<Arc<roleplay_store::Role>>>,
    /// (kind, ARN) → the managed policy's default version, compiled.
    pub managed: GenMap<(PolicyKind, String), Option<Arc<Policy>>>,
    /// The latest versions of objects, for GetObject and HeadObject.
    pub objects: ObjectCache,
    /// Access key id → the last minute (Unix time / 60) its use was recorded.
    pub key_use: Mutex<HashMap<String, i64>>,
}

/// What a session's identity needs from the store.
#[derive(Debug, Clone)]
pub(crate) struct SessionPrincipal {
    pub user: Option<roleplay_store::User>,
    pub role_tags: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleplay_store::{BlobId, ObjectVersion, Segment};

    fn version(key: &str, inline: usize) -> Arc<ObjectVersion> {
        let owner = "123456789012".parse().unwrap();
        let mut v = ObjectVersion::delete_marker(
            "b",
            key,
            "null",
            &owner,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        v.delete_marker = false;
        v.body = vec![Segment {
            blob: BlobId::fresh().unwrap(),
            size: inline as u64,
            inline: Some(vec![0u8; inline].into()),
        }];
        Arc::new(v)
    }

    #[test]
    fn objects_live_for_one_generation_within_a_byte_budget() {
        let cache = ObjectCache::default();
        cache.insert(3, "b", "k", version("k", 10));
        assert!(cache.get(3, "b", "k").is_some());
        assert!(cache.get(4, "b", "k").is_none(), "another generation");
        assert!(cache.get(3, "other", "k").is_none());
        cache.insert(2, "b", "old", version("old", 10));
        assert!(
            cache.get(2, "b", "old").is_none(),
            "an older read is not kept"
        );
        assert!(
            cache.get(3, "b", "k").is_some(),
            "nor does it disturb the map"
        );
        cache.insert(5, "b", "new", version("new", 10));
        assert!(
            cache.get(5, "b", "k").is_none(),
            "a newer generation starts over"
        );

        // Inline bodies are bounded in bytes: past the budget the map starts over.
        let big = OBJECT_BYTES / 4;
        for i in 0..4 {
            cache.insert(5, "b", &format!("big{i}"), version("big", big));
        }
        assert!(
            cache.get(5, "b", "big0").is_none(),
            "the fourth one overflowed"
        );
        assert!(cache.get(5, "b", "big3").is_some());
        assert!(cache.lock().bytes <= OBJECT_BYTES);
    }
}
