//! An ordered parallel map for reading big files: one thread reads items
//! (blocks of a CSV), several threads do the costly work on them (decode,
//! parse, validate), and the caller takes the results in the items' order,
//! so line numbers, "first occurrence wins" and quarantine order do not
//! depend on thread timing. Memory stays bounded: at most a few items are
//! in flight.

use std::collections::BTreeMap;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use anyhow::Result;

/// Runs `work` on the items `next` yields, on `workers` threads, and hands
/// each result to `take` in order. `take` returning Ok(false) stops early:
/// the reader and the workers then wind down without finishing the file.
pub fn ordered<I: Send, O: Send>(
    workers: usize,
    mut next: impl FnMut() -> Result<Option<I>> + Send,
    work: impl Fn(I) -> Result<O> + Sync,
    mut take: impl FnMut(O) -> Result<bool>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = sync_channel::<(usize, I)>(workers);
        let (done_tx, done_rx) = sync_channel::<(usize, Result<O>)>(workers);
        let reader = scope.spawn(move || -> Result<()> {
            let mut i = 0;
            while let Some(item) = next()? {
                if work_tx.send((i, item)).is_err() {
                    break; // the workers stopped: the caller has had enough
                }
                i += 1;
            }
            Ok(())
        });
        // Workers own the receiving end: when the last one stops, the
        // reader's next send fails and it stops too.
        let work_rx = Arc::new(Mutex::new(work_rx));
        for _ in 0..workers {
            let (work_rx, done_tx, work) = (Arc::clone(&work_rx), done_tx.clone(), &work);
            scope.spawn(move || loop {
                let item = work_rx.lock().expect("no worker panics").recv();
                let Ok((i, item)) = item else { break };
                if done_tx.send((i, work(item))).is_err() {
                    break;
                }
            });
        }
        drop((work_rx, done_tx));
        let outcome = take_in_order(done_rx, &mut take);
        let read = reader.join().expect("the reader does not panic");
        outcome.and(read)
    })
}

fn take_in_order<O>(
    done: std::sync::mpsc::Receiver<(usize, Result<O>)>,
    take: &mut impl FnMut(O) -> Result<bool>,
) -> Result<()> {
    let mut waiting = BTreeMap::new();
    let mut expected = 0;
    for (i, out) in done {
        waiting.insert(i, out);
        while let Some(out) = waiting.remove(&expected) {
            expected += 1;
            if !take(out?)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_timing() {
        let mut items = (0..200u64).collect::<Vec<_>>().into_iter();
        let mut got = Vec::new();
        ordered(
            3,
            || Ok(items.next()),
            |i| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
                Ok(i * 2)
            },
            |o| {
                got.push(o);
                Ok(true)
            },
        )
        .unwrap();
        assert_eq!(got, (0..200).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn stopping_early_and_errors_end_cleanly() {
        let mut n = 0;
        let mut taken = 0;
        ordered(
            2,
            || {
                n += 1;
                Ok(Some(n))
            },
            Ok,
            |_| {
                taken += 1;
                Ok(taken < 5)
            },
        )
        .unwrap();
        assert_eq!(taken, 5);
        let mut m = 0;
        let err = ordered(
            2,
            || {
                m += 1;
                Ok((m <= 10).then_some(m))
            },
            |i| {
                if i == 7 {
                    anyhow::bail!("item 7 is bad")
                } else {
                    Ok(i)
                }
            },
            |_| Ok(true),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "item 7 is bad");
    }
}
