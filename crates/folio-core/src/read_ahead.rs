//! Reading several keys in one key-value round trip.
//!
//! Every key-value call is a round trip to the store: a hand-over to a blocking thread and a
//! SQLite lock with Spin's local store, a network exchange with Redis. An authenticated read of
//! a book needs three keys (the token's session, the catalogue's data version, the cached
//! copy) that are all known from the request before any of them is read. A route names them
//! up front ([`Kv::read_ahead`]); [`ReadAhead`] fetches them with one batch read and hands
//! each value to the first `get` of its key.
//!
//! A value read ahead is as fresh as a `get` at the moment of the batch. It is served once:
//! a second `get` of the key goes to the store again, and a `set` or `delete` of the key
//! through this wrapper drops it. So code that reads a key, writes it and reads it again sees
//! its own write, as without the wrapper.

use std::cell::RefCell;

use crate::{Kv, KvError};

/// Wraps a store so that [`Kv::read_ahead`] is one batch read. The Spin adapter builds one per
/// request; native tests wrap their stores the same way.
pub struct ReadAhead<K> {
    inner: K,
    ahead: RefCell<Vec<(String, Option<Vec<u8>>)>>,
}

impl<K: Kv> ReadAhead<K> {
    pub fn new(inner: K) -> Self {
        Self { inner, ahead: RefCell::new(Vec::new()) }
    }

    pub fn inner(&self) -> &K {
        &self.inner
    }

    /// The value read ahead for `key`, removed so that it is served once.
    fn take(&self, key: &str) -> Option<Option<Vec<u8>>> {
        let mut ahead = self.ahead.borrow_mut();
        let index = ahead.iter().position(|(k, _)| k == key)?;
        Some(ahead.swap_remove(index).1)
    }

    fn forget(&self, key: &str) {
        self.ahead.borrow_mut().retain(|(k, _)| k != key);
    }
}

impl<K: Kv> Kv for ReadAhead<K> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        match self.take(key) {
            Some(value) => Ok(value),
            None => self.inner.get(key),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.forget(key);
        self.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.forget(key);
        self.inner.delete(key)
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.inner.exists(key)
    }

    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.inner.keys()
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.inner.get_many(keys)
    }

    /// One batch read of `keys`. A failure is not reported here: nothing is kept, and each
    /// later `get` goes to the store and meets (and reports) the failure itself.
    fn read_ahead(&self, keys: &[&str]) {
        let mut unique: Vec<&str> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(key) {
                unique.push(key);
            }
        }
        if unique.is_empty() {
            return;
        }
        if let Ok(values) = self.inner.get_many(&unique) {
            let mut ahead = self.ahead.borrow_mut();
            ahead.retain(|(k, _)| !unique.contains(&k.as_str()));
            ahead.extend(unique.iter().map(|k| k.to_string()).zip(values));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::HashMap;

    use super::*;

    /// A store that counts its round trips and can be made to fail.
    #[derive(Default)]
    struct Counting {
        map: RefCell<HashMap<String, Vec<u8>>>,
        trips: Cell<u32>,
        failing: Cell<bool>,
    }

    impl Counting {
        fn trip(&self) -> Result<(), KvError> {
            self.trips.set(self.trips.get() + 1);
            if self.failing.get() {
                return Err(KvError::Other("offline".into()));
            }
            Ok(())
        }
    }

    impl Kv for Counting {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
            self.trip()?;
            Ok(self.map.borrow().get(key).cloned())
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
            self.trip()?;
            self.map.borrow_mut().insert(key.into(), value.to_vec());
            Ok(())
        }
        fn delete(&self, key: &str) -> Result<(), KvError> {
            self.trip()?;
            self.map.borrow_mut().remove(key);
            Ok(())
        }
        fn exists(&self, key: &str) -> Result<bool, KvError> {
            self.trip()?;
            Ok(self.map.borrow().contains_key(key))
        }
        fn keys(&self) -> Result<Vec<String>, KvError> {
            self.trip()?;
            Ok(self.map.borrow().keys().cloned().collect())
        }
        fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
            self.trip()?;
            Ok(keys.iter().map(|k| self.map.borrow().get(*k).cloned()).collect())
        }
    }

    fn store() -> ReadAhead<Counting> {
        let kv = ReadAhead::new(Counting::default());
        kv.inner().map.borrow_mut().insert("a".into(), b"1".to_vec());
        kv.inner().map.borrow_mut().insert("b".into(), b"2".to_vec());
        kv
    }

    #[test]
    fn keys_read_ahead_cost_one_round_trip_and_are_served_once() {
        let kv = store();
        kv.read_ahead(&["a", "b", "missing", "a"]);
        assert_eq!(kv.inner().trips.get(), 1);
        assert_eq!(kv.get("b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(kv.get("missing").unwrap(), None, "a missing key is known missing");
        assert_eq!(kv.get("a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(kv.inner().trips.get(), 1, "all three from the batch");
        // Served once: the next get reads the store, and sees what is there now.
        kv.inner().map.borrow_mut().insert("a".into(), b"changed".to_vec());
        assert_eq!(kv.get("a").unwrap(), Some(b"changed".to_vec()));
        assert_eq!(kv.inner().trips.get(), 2);
    }

    #[test]
    fn a_write_through_the_wrapper_drops_the_value_read_ahead() {
        let kv = store();
        kv.read_ahead(&["a", "b"]);
        kv.set("a", b"new").unwrap();
        kv.delete("b").unwrap();
        assert_eq!(kv.get("a").unwrap(), Some(b"new".to_vec()));
        assert_eq!(kv.get("b").unwrap(), None);
    }

    #[test]
    fn a_failed_batch_keeps_nothing_and_each_get_reports_the_failure() {
        let kv = store();
        kv.inner().failing.set(true);
        kv.read_ahead(&["a"]);
        assert!(kv.get("a").is_err(), "the failure surfaces where the value is needed");
        kv.inner().failing.set(false);
        assert_eq!(kv.get("a").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn without_read_ahead_every_get_is_a_round_trip() {
        let kv = store();
        kv.read_ahead(&[]);
        assert_eq!(kv.inner().trips.get(), 0, "nothing to read, no round trip");
        kv.get("a").unwrap();
        kv.get("a").unwrap();
        assert_eq!(kv.inner().trips.get(), 2);
    }

    #[test]
    fn the_default_batch_read_is_one_get_per_key_in_order() {
        struct Plain(Counting);
        impl Kv for Plain {
            fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
                self.0.get(key)
            }
            fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
                self.0.set(key, value)
            }
            fn delete(&self, key: &str) -> Result<(), KvError> {
                self.0.delete(key)
            }
            fn exists(&self, key: &str) -> Result<bool, KvError> {
                self.0.exists(key)
            }
            fn keys(&self) -> Result<Vec<String>, KvError> {
                self.0.keys()
            }
        }
        let plain = Plain(Counting::default());
        plain.set("x", b"1").unwrap();
        assert_eq!(plain.get_many(&["y", "x"]).unwrap(), vec![None, Some(b"1".to_vec())]);
        plain.read_ahead(&["x"]);
        assert_eq!(plain.0.trips.get(), 3, "set, two gets; read_ahead is a no-op by default");
    }
}
