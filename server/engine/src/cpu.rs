//! Keeping a thread, and the threads it starts, on one CPU.
//!
//! Each SQLite connection of sqlx has a worker thread of its own, and every statement is a
//! hand-over between the async task and that thread. On this kind of virtual machine a
//! hand-over between two CPUs costs tens of microseconds of wake-ups; on one CPU it costs a
//! few. The appender (see `store::appender`) and `server replay` therefore keep themselves and
//! their connection's worker on one CPU.

/// Restricts this thread, and every thread it starts from now on, to the CPU it runs on, and
/// returns that CPU. Call it before starting the runtime and opening the connections that
/// should share the CPU. Not on Linux, it does nothing.
pub fn pin_to_one_cpu() -> std::io::Result<Option<usize>> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu takes no arguments; sched_setaffinity reads a cpu_set_t that
        // lives on this stack for the whole call, of the size passed.
        unsafe {
            let cpu = libc::sched_getcpu();
            if cpu < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(Some(cpu as usize))
        }
    }
    #[cfg(not(target_os = "linux"))]
    Ok(None)
}
