// WalFrameVfs: an SQLite VFS over the platform's default one ("unix") that writes each WAL frame with
// one write instead of two. SQLite writes a frame as its 24-byte header, then its page, in two calls
// at adjacent offsets (walWriteOneFrame); a commit of one activation record writes 2–4 frames, so the
// warm path paid 4–8 `pwrite` per answer (docs/warm-path.md). Here a WAL file's 24-byte write past the
// WAL's own 32-byte header is held, and the write that follows at the adjacent offset is sent together
// with it as one buffer (header + page copied into one per-file buffer: one `pwrite`). Anything else
// on that file — another write, a read, a sync, a truncate, a lock, a size, a file control, a close, a
// shared-memory call — first writes what is held, so every byte reaches the file in the order SQLite
// wrote it and before SQLite next looks at the file or publishes the frame in the WAL index (the index
// is updated after the frames are written, through the main file's shared-memory methods): the file's
// content after each SQLite call that returns is unchanged, and other connections (and processes)
// read only frames the WAL index names. A failed held write is returned by the call that sends it.
// Files other than a WAL pass straight through. Same file formats: any SQLite opens the databases.
// Cost per frame: one copy of a page into the file's buffer.
// register_wal_frame_vfs() registers it (not as the default) once per process, thread-safe; the name
// goes to sqlite3_open_v2's zVfs. Null when the default VFS is missing (then open with the default).
#pragma once

namespace hearth::controller {

inline constexpr const char* kWalFrameVfsName = "hearth-wal-frames";

// Registers the VFS on first call; returns kWalFrameVfsName, or nullptr if it could not be registered.
const char* register_wal_frame_vfs();

}  // namespace hearth::controller
