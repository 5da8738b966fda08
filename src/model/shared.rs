//! Storage whose copies share what did not change, so a copy of the model
//! (a checkpoint of `forkscope view`) costs time and memory in proportion
//! to the live state, not to every process the trace ever showed.
//!
//! - [`SharedVec`]: a vector in chunks of `N` items behind [`Arc`]s. A
//!   clone copies one pointer per chunk; a write copies only the chunk it
//!   lands in, and only while another copy still shares that chunk
//!   ([`Arc::make_mut`]). Reaped processes and old children sit in chunks
//!   nobody writes any more, shared by every checkpoint.
//! - [`PidMap`]: pid -> process, in pages of 64 consecutive pids behind
//!   `Arc`s, keyed by a hash map of page numbers (pids cluster, so a trace
//!   of thousands of pids has few pages).
//!
//! Both behave exactly like the `Vec` and the hash map they replace: same
//! order, same contents; only copying got cheaper.

use super::hash::IdMap;
use super::ProcId;
use crate::trace::Pid;
use std::fmt;
use std::sync::Arc;

/// A vector whose clones share unchanged chunks of `N` items.
#[derive(Clone)]
pub struct SharedVec<T, const N: usize = 256> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T, const N: usize> Default for SharedVec<T, N> {
    fn default() -> Self {
        SharedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone, const N: usize> SharedVec<T, N> {
    /// Appends an item (copies the last chunk first if a clone shares it).
    pub(crate) fn push(&mut self, item: T) {
        if self.len % N == 0 {
            let mut chunk = Vec::with_capacity(if self.len == 0 { 1 } else { N });
            chunk.push(item);
            self.chunks.push(Arc::new(chunk));
        } else {
            let last = self.chunks.last_mut().expect("a partial chunk exists");
            Arc::make_mut(last).push(item);
        }
        self.len += 1;
    }

    /// The item at `i`, to change (copies its chunk first if a clone shares it).
    /// Frees the items of the full chunk holding item `i` (see
    /// model/forget.rs): afterwards [`SharedVec::get`] gives `None` for
    /// each of them and iteration skips them; the length and every other
    /// index stay as they were. The last chunk is kept while it can still
    /// grow.
    pub(crate) fn drop_chunk_of(&mut self, i: usize) {
        let c = i / N;
        if c < self.chunks.len() && self.chunks[c].len() == N {
            self.chunks[c] = Arc::new(Vec::new());
        }
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        Arc::make_mut(&mut self.chunks[i / N]).get_mut(i % N)
    }
}

impl<T, const N: usize> SharedVec<T, N> {
    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No items?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / N)?.get(i % N)
    }

    /// The first item.
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// The last item.
    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// The items in order.
    pub fn iter(&self) -> Iter<'_, T> {
        fn items<T>(c: &Arc<Vec<T>>) -> std::slice::Iter<'_, T> {
            c.iter()
        }
        let f: fn(&Arc<Vec<T>>) -> std::slice::Iter<'_, T> = items;
        self.chunks.iter().flat_map(f)
    }

    /// The items as a plain vector.
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }
}

impl<T, const N: usize> std::ops::Index<usize> for SharedVec<T, N> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(t) => t,
            None => panic!("index {i} out of range for a SharedVec of {}", self.len),
        }
    }
}

impl<T: Clone, const N: usize> std::ops::IndexMut<usize> for SharedVec<T, N> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(i) {
            Some(t) => t,
            None => panic!("index {i} out of range for a SharedVec of {len}"),
        }
    }
}

/// The items of a [`SharedVec`] in order.
pub(crate) type Iter<'a, T> = std::iter::FlatMap<
    std::slice::Iter<'a, Arc<Vec<T>>>,
    std::slice::Iter<'a, T>,
    fn(&'a Arc<Vec<T>>) -> std::slice::Iter<'a, T>,
>;

impl<'a, T, const N: usize> IntoIterator for &'a SharedVec<T, N> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: Clone, const N: usize> FromIterator<T> for SharedVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = SharedVec::default();
        for t in iter {
            v.push(t);
        }
        v
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for SharedVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq, const N: usize> PartialEq for SharedVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq, const N: usize> Eq for SharedVec<T, N> {}

impl<T: PartialEq, const N: usize> PartialEq<Vec<T>> for SharedVec<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.len == other.len() && self.iter().eq(other.iter())
    }
}

/// Pids in a page of [`PidMap`].
const PAGE: i32 = 64;

/// pid -> the process that has (or last had) it; clones share unchanged pages.
#[derive(Clone, Debug, Default)]
pub(crate) struct PidMap {
    pages: IdMap<i32, Arc<[Option<ProcId>; PAGE as usize]>>,
}

fn split(pid: Pid) -> (i32, usize) {
    (pid.div_euclid(PAGE), pid.rem_euclid(PAGE) as usize)
}

impl PidMap {
    /// The process of `pid`.
    pub(crate) fn get(&self, pid: &Pid) -> Option<&ProcId> {
        let (page, slot) = split(*pid);
        self.pages.get(&page)?[slot].as_ref()
    }

    /// Gives `pid` to `id`; returns the process that had it.
    pub(crate) fn insert(&mut self, pid: Pid, id: ProcId) -> Option<ProcId> {
        let (page, slot) = split(pid);
        let page = self
            .pages
            .entry(page)
            .or_insert_with(|| Arc::new([None; PAGE as usize]));
        Arc::make_mut(page)[slot].replace(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_vec_reads_like_the_vec_it_was_built_as() {
        let plain: Vec<u32> = (0..1000).collect();
        let shared: SharedVec<u32, 16> = plain.iter().copied().collect();
        assert_eq!(shared.len(), plain.len());
        assert_eq!(shared, plain);
        assert_eq!(shared.iter().rev().copied().collect::<Vec<_>>()[0], 999);
        assert_eq!(shared[517], 517);
        assert_eq!(shared.get(1000), None);
        assert_eq!(shared.last(), Some(&999));
        assert_eq!(format!("{shared:?}"), format!("{plain:?}"));
    }

    #[test]
    fn a_write_after_a_clone_changes_only_the_copy_written() {
        let mut a: SharedVec<u32, 4> = (0..10).collect();
        let b = a.clone();
        a[5] = 50;
        a.push(10);
        assert_eq!(b, (0..10).collect::<Vec<_>>());
        assert_eq!(a[5], 50);
        assert_eq!(a.len(), 11);
        // The chunks not written stay shared.
        assert!(Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert!(!Arc::ptr_eq(&a.chunks[1], &b.chunks[1]));
    }

    #[test]
    fn a_pid_map_gives_back_what_it_was_given_negative_pids_included() {
        let mut m = PidMap::default();
        assert_eq!(m.insert(100, ProcId(1)), None);
        assert_eq!(m.insert(-5, ProcId(2)), None);
        let copy = m.clone();
        assert_eq!(m.insert(100, ProcId(3)), Some(ProcId(1)));
        assert_eq!(m.get(&100), Some(&ProcId(3)));
        assert_eq!(copy.get(&100), Some(&ProcId(1)));
        assert_eq!(m.get(&-5), Some(&ProcId(2)));
        assert_eq!(m.get(&59), None);
        assert_eq!(m.get(&i32::MIN), None);
    }
}
