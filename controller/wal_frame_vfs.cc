#include "controller/wal_frame_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace hearth::controller {
namespace {

constexpr int kFrameHeaderBytes = 24;  // WAL_FRAME_HDRSIZE
constexpr int kWalHeaderBytes = 32;    // WAL_HDRSIZE: the WAL's own header, at offset 0

// One open file: the shim's state, then (at `real`) the default VFS's file object.
struct ShimFile {
  sqlite3_file base;      // pMethods: &kShimMethods (SQLite's handle)
  sqlite3_file* real;     // the default VFS's file, in the same allocation
  bool wal = false;       // only a WAL's frame headers are held
  bool held = false;      // `header` waits for the write at held_offset + 24
  sqlite3_int64 held_offset = 0;
  unsigned char header[kFrameHeaderBytes];
  std::vector<unsigned char> joined;  // header + page, written at once
};

constexpr int round8(int n) { return (n + 7) & ~7; }
constexpr int kShimBytes = round8(static_cast<int>(sizeof(ShimFile)));

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs shim_vfs;

ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
const sqlite3_io_methods* real_methods(ShimFile* s) { return s->real->pMethods; }

// Writes a held frame header (before anything else touches the file).
int flush(ShimFile* s) {
  if (!s->held) return SQLITE_OK;
  s->held = false;
  return real_methods(s)->xWrite(s->real, s->header, kFrameHeaderBytes, s->held_offset);
}

int shim_close(sqlite3_file* f) {
  ShimFile* s = shim(f);
  const int flushed = flush(s);
  const int rc = real_methods(s)->xClose(s->real);
  s->~ShimFile();
  return flushed != SQLITE_OK ? flushed : rc;
}

int shim_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  ShimFile* s = shim(f);
  if (s->wal) {
    if (s->held && offset == s->held_offset + kFrameHeaderBytes) {  // the frame's page: one write for both
      s->held = false;
      s->joined.resize(static_cast<std::size_t>(kFrameHeaderBytes + amount));
      std::memcpy(s->joined.data(), s->header, kFrameHeaderBytes);
      std::memcpy(s->joined.data() + kFrameHeaderBytes, data, static_cast<std::size_t>(amount));
      return real_methods(s)->xWrite(s->real, s->joined.data(), kFrameHeaderBytes + amount, s->held_offset);
    }
    if (const int rc = flush(s); rc != SQLITE_OK) return rc;
    if (amount == kFrameHeaderBytes && offset >= kWalHeaderBytes) {  // a frame header: wait for its page
      std::memcpy(s->header, data, kFrameHeaderBytes);
      s->held_offset = offset;
      s->held = true;
      return SQLITE_OK;
    }
  }
  return real_methods(s)->xWrite(s->real, data, amount, offset);
}

// Every other method: the held header first, then the default VFS's method.
#define HEARTH_FORWARD(name, params, args)                           \
  int shim_##name params {                                           \
    ShimFile* s = shim(f);                                           \
    if (const int rc = flush(s); rc != SQLITE_OK) return rc;         \
    return real_methods(s)->name args;                               \
  }
HEARTH_FORWARD(xRead, (sqlite3_file * f, void* out, int amount, sqlite3_int64 offset), (s->real, out, amount, offset))
HEARTH_FORWARD(xTruncate, (sqlite3_file * f, sqlite3_int64 size), (s->real, size))
HEARTH_FORWARD(xSync, (sqlite3_file * f, int flags), (s->real, flags))
HEARTH_FORWARD(xFileSize, (sqlite3_file * f, sqlite3_int64* size), (s->real, size))
HEARTH_FORWARD(xLock, (sqlite3_file * f, int level), (s->real, level))
HEARTH_FORWARD(xUnlock, (sqlite3_file * f, int level), (s->real, level))
HEARTH_FORWARD(xCheckReservedLock, (sqlite3_file * f, int* out), (s->real, out))
HEARTH_FORWARD(xFileControl, (sqlite3_file * f, int op, void* arg), (s->real, op, arg))
HEARTH_FORWARD(xShmMap, (sqlite3_file * f, int page, int size, int extend, void volatile** out),
               (s->real, page, size, extend, out))
HEARTH_FORWARD(xShmLock, (sqlite3_file * f, int offset, int n, int flags), (s->real, offset, n, flags))
HEARTH_FORWARD(xShmUnmap, (sqlite3_file * f, int delete_flag), (s->real, delete_flag))
HEARTH_FORWARD(xFetch, (sqlite3_file * f, sqlite3_int64 offset, int amount, void** out), (s->real, offset, amount, out))
HEARTH_FORWARD(xUnfetch, (sqlite3_file * f, sqlite3_int64 offset, void* p), (s->real, offset, p))
#undef HEARTH_FORWARD

int shim_sector_size(sqlite3_file* f) { return real_methods(shim(f))->xSectorSize(shim(f)->real); }
int shim_device_characteristics(sqlite3_file* f) { return real_methods(shim(f))->xDeviceCharacteristics(shim(f)->real); }
void shim_shm_barrier(sqlite3_file* f) {
  ShimFile* s = shim(f);
  (void)flush(s);  // never held here (only WAL files hold; the shared memory is the main file's)
  real_methods(s)->xShmBarrier(s->real);
}

// One method table per version the default VFS's files have (unix: 3); filled from its methods at open.
sqlite3_io_methods shim_methods(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = shim_close;
  m.xRead = shim_xRead;
  m.xWrite = shim_write;
  m.xTruncate = shim_xTruncate;
  m.xSync = shim_xSync;
  m.xFileSize = shim_xFileSize;
  m.xLock = shim_xLock;
  m.xUnlock = shim_xUnlock;
  m.xCheckReservedLock = shim_xCheckReservedLock;
  m.xFileControl = shim_xFileControl;
  m.xSectorSize = shim_sector_size;
  m.xDeviceCharacteristics = shim_device_characteristics;
  if (version >= 2) {
    m.xShmMap = shim_xShmMap;
    m.xShmLock = shim_xShmLock;
    m.xShmBarrier = shim_shm_barrier;
    m.xShmUnmap = shim_xShmUnmap;
  }
  if (version >= 3) {
    m.xFetch = shim_xFetch;
    m.xUnfetch = shim_xUnfetch;
  }
  return m;
}
const sqlite3_io_methods kMethods[3] = {shim_methods(1), shim_methods(2), shim_methods(3)};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* s = new (f) ShimFile();
  s->base.pMethods = nullptr;
  s->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kShimBytes);
  s->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out_flags);
  const sqlite3_io_methods* m = s->real->pMethods;
  if (m == nullptr || m->iVersion < 1 || m->iVersion > 3) {  // failed (or a table this shim cannot wrap)
    if (m) m->xClose(s->real);
    s->~ShimFile();
    f->pMethods = nullptr;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  s->base.pMethods = &kMethods[m->iVersion - 1];
  return rc;
}

// The VFS's own methods go to the default VFS unchanged.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return real_vfs->xDelete(real_vfs, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) { return real_vfs->xAccess(real_vfs, name, flags, out); }
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return real_vfs->xDlSym(real_vfs, handle, symbol); }
void vfs_dl_close(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int vfs_sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int vfs_current_time(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) { return real_vfs->xGetLastError(real_vfs, n, out); }
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return real_vfs->xCurrentTimeInt64(real_vfs, out); }
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
  return real_vfs->xSetSystemCall(real_vfs, name, p);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) { return real_vfs->xGetSystemCall(real_vfs, name); }
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) { return real_vfs->xNextSystemCall(real_vfs, name); }

}  // namespace

const char* register_wal_frame_vfs() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    if (real_vfs == nullptr || real_vfs->iVersion < 2) return;  // (unix: 3)
    shim_vfs = sqlite3_vfs{};
    shim_vfs.iVersion = real_vfs->iVersion >= 3 ? 3 : 2;
    shim_vfs.szOsFile = kShimBytes + real_vfs->szOsFile;
    shim_vfs.mxPathname = real_vfs->mxPathname;
    shim_vfs.zName = kWalFrameVfsName;
    shim_vfs.xOpen = shim_open;
    shim_vfs.xDelete = vfs_delete;
    shim_vfs.xAccess = vfs_access;
    shim_vfs.xFullPathname = vfs_full_pathname;
    shim_vfs.xDlOpen = vfs_dl_open;
    shim_vfs.xDlError = vfs_dl_error;
    shim_vfs.xDlSym = vfs_dl_sym;
    shim_vfs.xDlClose = vfs_dl_close;
    shim_vfs.xRandomness = vfs_randomness;
    shim_vfs.xSleep = vfs_sleep;
    shim_vfs.xCurrentTime = vfs_current_time;
    shim_vfs.xGetLastError = vfs_get_last_error;
    shim_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    if (shim_vfs.iVersion >= 3) {
      shim_vfs.xSetSystemCall = vfs_set_system_call;
      shim_vfs.xGetSystemCall = vfs_get_system_call;
      shim_vfs.xNextSystemCall = vfs_next_system_call;
    }
    ok = sqlite3_vfs_register(&shim_vfs, /*makeDflt=*/0) == SQLITE_OK;
  });
  return ok ? kWalFrameVfsName : nullptr;
}

}  // namespace hearth::controller
