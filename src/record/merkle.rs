//! A Merkle tree over the heads of all scopes, so that a reader of one vacancy can check, in
//! O(log n) reads, that it has *all* of that vacancy's events up to the latest checkpoint — that none
//! was deleted from the end of its history — without reading anyone else's.
//!
//! Each scope gets a leaf, in order of first appearance; the leaf commits the scope's name, event
//! count, and the seq and hash of its last event. A node is SHA-256 of a marker byte and its two
//! children; a subtree with no leaves has a fixed "empty" hash per level, so a node's value does not
//! depend on how many leaves come after it. Every `chain.checkpoint` event records the root.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// One scope's head at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeHead {
    pub scope: String,
    /// How many events the scope has.
    pub count: i64,
    pub last_seq: i64,
    pub last_hash: String,
}

pub fn leaf_hash(h: &ScopeHead) -> Hash {
    let mut s = Sha256::new();
    s.update(b"fairpanel/scope-head/v1");
    s.update((h.scope.len() as u32).to_be_bytes());
    s.update(h.scope.as_bytes());
    s.update(h.count.to_be_bytes());
    s.update(h.last_seq.to_be_bytes());
    s.update(h.last_hash.as_bytes());
    s.finalize().into()
}

pub fn parent(l: &Hash, r: &Hash) -> Hash {
    let mut s = Sha256::new();
    s.update([1u8]);
    s.update(l);
    s.update(r);
    s.finalize().into()
}

/// The hash of a subtree with no leaves at `level` (0 = leaves).
pub fn empty(level: u32) -> Hash {
    let mut h: Hash = Sha256::digest(b"fairpanel/scope-head/empty").into();
    for _ in 0..level {
        h = parent(&h, &h);
    }
    h
}

/// Levels above the leaves for `n` leaves (0 for one leaf).
pub fn height(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Where the tree's nodes are kept (in memory, or in a table).
pub trait Nodes {
    fn get(&mut self, level: u32, idx: u64) -> anyhow::Result<Option<Hash>>;
    fn set(&mut self, level: u32, idx: u64, h: Hash) -> anyhow::Result<()>;
}

/// Set leaf `idx` of a tree that now has `n` leaves, recomputing its path to the root; returns the root.
pub fn update<N: Nodes>(nodes: &mut N, n: u64, idx: u64, leaf: Hash) -> anyhow::Result<Hash> {
    debug_assert!(idx < n);
    nodes.set(0, idx, leaf)?;
    let mut cur = leaf;
    let mut i = idx;
    for l in 0..height(n) {
        let sib = nodes.get(l, i ^ 1)?.unwrap_or_else(|| empty(l));
        cur = if i & 1 == 0 {
            parent(&cur, &sib)
        } else {
            parent(&sib, &cur)
        };
        i >>= 1;
        nodes.set(l + 1, i, cur)?;
    }
    Ok(cur)
}

/// The root of a tree with `n` leaves.
pub fn root<N: Nodes>(nodes: &mut N, n: u64) -> anyhow::Result<Hash> {
    if n == 0 {
        return Ok(empty(0));
    }
    Ok(nodes.get(height(n), 0)?.unwrap_or_else(|| empty(height(n))))
}

/// The root implied by leaf `idx` and its siblings from the bottom up.
pub fn root_from_path(leaf: Hash, idx: u64, siblings: &[Hash]) -> Hash {
    let mut cur = leaf;
    let mut i = idx;
    for sib in siblings {
        cur = if i & 1 == 0 {
            parent(&cur, sib)
        } else {
            parent(sib, &cur)
        };
        i >>= 1;
    }
    cur
}

/// The siblings of leaf `idx` in a tree of `n` leaves.
pub fn path<N: Nodes>(nodes: &mut N, n: u64, idx: u64) -> anyhow::Result<Vec<Hash>> {
    let mut out = Vec::new();
    let mut i = idx;
    for l in 0..height(n) {
        out.push(nodes.get(l, i ^ 1)?.unwrap_or_else(|| empty(l)));
        i >>= 1;
    }
    Ok(out)
}

/// Nodes in memory.
#[derive(Debug, Default, Clone)]
pub struct MemNodes {
    levels: Vec<Vec<Option<Hash>>>,
}

impl MemNodes {
    /// Every node set, as (level, index, hash).
    pub fn all(&self) -> impl Iterator<Item = (u32, u64, Hash)> + '_ {
        self.levels.iter().enumerate().flat_map(|(l, nodes)| {
            nodes
                .iter()
                .enumerate()
                .filter_map(move |(i, h)| h.map(|h| (l as u32, i as u64, h)))
        })
    }
}

impl Nodes for MemNodes {
    fn get(&mut self, level: u32, idx: u64) -> anyhow::Result<Option<Hash>> {
        Ok(self
            .levels
            .get(level as usize)
            .and_then(|l| l.get(idx as usize))
            .copied()
            .flatten())
    }
    fn set(&mut self, level: u32, idx: u64, h: Hash) -> anyhow::Result<()> {
        let level = level as usize;
        if self.levels.len() <= level {
            self.levels.resize(level + 1, Vec::new());
        }
        let l = &mut self.levels[level];
        if l.len() <= idx as usize {
            l.resize(idx as usize + 1, None);
        }
        l[idx as usize] = Some(h);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(i: i64) -> ScopeHead {
        ScopeHead {
            scope: format!("vacancy:V{i}"),
            count: i + 1,
            last_seq: 10 * i,
            last_hash: format!("{i:064}"),
        }
    }

    /// The root computed from scratch, level by level.
    fn naive_root(leaves: &[Hash]) -> Hash {
        if leaves.is_empty() {
            return empty(0);
        }
        let mut level: Vec<Hash> = leaves.to_vec();
        for l in 0..height(leaves.len() as u64) {
            let next: Vec<Hash> = level
                .chunks(2)
                .map(|c| parent(&c[0], c.get(1).unwrap_or(&empty(l))))
                .collect();
            level = next;
        }
        level[0]
    }

    #[test]
    fn incremental_updates_match_a_fresh_build_and_paths_prove_leaves() {
        let mut nodes = MemNodes::default();
        let mut leaves = Vec::new();
        for i in 0..37u64 {
            let leaf = leaf_hash(&head(i as i64));
            leaves.push(leaf);
            let r = update(&mut nodes, i + 1, i, leaf).unwrap();
            assert_eq!(r, naive_root(&leaves), "after push {i}");
            assert_eq!(root(&mut nodes, i + 1).unwrap(), r);
        }
        // Change some old leaves.
        for i in [0u64, 5, 31, 36] {
            let mut h = head(i as i64);
            h.count += 100;
            leaves[i as usize] = leaf_hash(&h);
            update(&mut nodes, 37, i, leaves[i as usize]).unwrap();
        }
        let r = root(&mut nodes, 37).unwrap();
        assert_eq!(r, naive_root(&leaves));
        for i in 0..37u64 {
            let p = path(&mut nodes, 37, i).unwrap();
            assert_eq!(root_from_path(leaves[i as usize], i, &p), r);
            // A different leaf does not prove.
            assert_ne!(root_from_path(leaf_hash(&head(99)), i, &p), r);
        }
        assert_eq!(height(1), 0);
        assert_eq!(height(2), 1);
        assert_eq!(height(3), 2);
        assert_eq!(height(4), 2);
        assert_eq!(height(5), 3);
    }
}
