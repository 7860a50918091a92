//! The page's memory allocator: smaller than the standard one (dlmalloc),
//! which was ~1.5 KB of the page's brotli budget.
//!
//! Every block is a power of two (at least a pointer wide), aligned to its
//! own size, so one free list per size serves any layout of that size. A
//! freed block waits on its list for the next request of the same size;
//! new blocks come from the end of memory, which grows as needed. Memory is
//! never returned, and a block may be up to twice what was asked: fine for a
//! page that holds a few forms, and faster than searching for a best fit.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65536;

pub struct Allocator(UnsafeCell<State>);

struct State {
    /// Heads of the free lists, by log2 of the block size; each free block
    /// holds the address of the next.
    free: [*mut u8; usize::BITS as usize],
    /// Start of the memory no block has used yet, and its end.
    next: usize,
    end: usize,
}

// SAFETY: this page's WebAssembly runs on one thread only (no atomics).
unsafe impl Sync for Allocator {}

impl Allocator {
    pub const fn new() -> Self {
        Allocator(UnsafeCell::new(State {
            free: [null_mut(); usize::BITS as usize],
            next: 0,
            end: 0,
        }))
    }
}

/// log2 of the block that holds `layout`.
fn class(layout: Layout) -> usize {
    let size = layout.size().max(layout.align()).max(size_of::<usize>());
    size.next_power_of_two().trailing_zeros() as usize
}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: one thread, and no allocator call re-enters another.
        let s = unsafe { &mut *self.0.get() };
        let c = class(layout);
        let head = s.free[c];
        if !head.is_null() {
            // SAFETY: a free block starts with the address of the next one.
            s.free[c] = unsafe { *head.cast::<*mut u8>() };
            return head;
        }
        if s.end == 0 {
            // Above what the program was loaded with (stack, statics).
            s.end = wasm32::memory_size(0) * PAGE;
            s.next = s.end;
        }
        let size = 1usize << c;
        let start = (s.next + size - 1) & !(size - 1);
        let Some(end) = start
            .checked_add(size)
            .filter(|&e| e >= start && start >= s.next)
        else {
            return null_mut();
        };
        if end > s.end {
            let pages = (end - s.end).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return null_mut();
            }
            s.end += pages * PAGE;
        }
        s.next = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`; `ptr` is a block of this size, now unused.
        let s = unsafe { &mut *self.0.get() };
        let c = class(layout);
        unsafe { *ptr.cast::<*mut u8>() = s.free[c] };
        s.free[c] = ptr;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's promises are those of `GlobalAlloc::realloc`.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class(new) == class(layout) {
            return ptr;
        }
        let moved = unsafe { self.alloc(new) };
        if !moved.is_null() {
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        moved
    }
}
