package dev.berth.runtime.checkpoint;

/**
 * Numbers of CRIU's RPC protocol (images/rpc.proto in CRIU's sources; stable since CRIU 3.0,
 * checked against Debian's CRIU 3.17): request types and the field numbers of the messages berth
 * writes and reads.
 */
final class Rpc {
  private Rpc() {}

  // enum criu_req_type
  static final int DUMP = 1;
  static final int RESTORE = 2;
  static final int PRE_DUMP = 4;
  static final int NOTIFY = 6;
  static final int FEATURE_CHECK = 9;
  static final int VERSION = 10;

  /** The name CRIU's own messages give a request type. */
  static String typeName(int type) {
    return switch (type) {
      case DUMP -> "DUMP";
      case RESTORE -> "RESTORE";
      case PRE_DUMP -> "PRE_DUMP";
      case NOTIFY -> "NOTIFY";
      case FEATURE_CHECK -> "FEATURE_CHECK";
      case VERSION -> "VERSION";
      default -> "type " + type;
    };
  }

  // message criu_req
  static final int REQ_TYPE = 1;
  static final int REQ_OPTS = 2;
  static final int REQ_NOTIFY_SUCCESS = 3;
  static final int REQ_FEATURES = 5;

  // message criu_features
  static final int FEATURE_MEM_TRACK = 1;
  static final int FEATURE_LAZY_PAGES = 2;

  // message criu_opts
  static final int IMAGES_DIR_FD = 1;
  static final int PID = 2;
  static final int LEAVE_RUNNING = 3;
  static final int EXT_UNIX_SK = 4;
  static final int TCP_ESTABLISHED = 5;
  static final int EVASIVE_DEVICES = 6;
  static final int SHELL_JOB = 7;
  static final int FILE_LOCKS = 8;
  static final int LOG_LEVEL = 9;
  static final int LOG_FILE = 10;
  static final int PS = 11;
  static final int NOTIFY_SCRIPTS = 12;
  static final int ROOT = 13;
  static final int PARENT_IMG = 14;
  static final int TRACK_MEM = 15;
  static final int AUTO_DEDUP = 16;
  static final int WORK_DIR_FD = 17;
  static final int EXT_MNT = 23;
  static final int MANAGE_CGROUPS = 24;
  static final int CG_ROOT = 25;
  static final int RST_SIBLING = 26;
  static final int INHERIT_FD = 27;
  static final int MANAGE_CGROUPS_MODE = 34;
  static final int EXTERNAL = 37;
  static final int EMPTY_NS = 38;
  static final int FREEZE_CGROUP = 44;
  static final int LAZY_PAGES = 48;
  static final int STATUS_FD = 49;
  static final int ORPHAN_PTS_MASTER = 50;
  static final int CONFIG_FILE = 51;
  static final int LSM_PROFILE = 53;
  static final int LSM_MOUNT_CONTEXT = 63;

  // message criu_page_server_info
  static final int PS_ADDRESS = 1;
  static final int PS_PORT = 2;

  // messages ext_mount_map (key, val), inherit_fd (key, fd), cgroup_root (ctrl, path)
  static final int KEY = 1;
  static final int VAL = 2;
  static final int CTRL = 1;
  static final int PATH = 2;

  // message criu_resp
  static final int RESP_TYPE = 1;
  static final int RESP_SUCCESS = 2;
  static final int RESP_RESTORE = 4;
  static final int RESP_NOTIFY = 5;
  static final int RESP_CR_ERRNO = 7;
  static final int RESP_FEATURES = 8;
  static final int RESP_CR_ERRMSG = 9;
  static final int RESP_VERSION = 10;

  // criu_restore_resp.pid, criu_notify (script, pid), criu_version (major, minor, gitid, sublevel)
  static final int RESTORE_PID = 1;
  static final int NOTIFY_SCRIPT = 1;
  static final int NOTIFY_PID = 2;
  static final int VERSION_MAJOR = 1;
  static final int VERSION_MINOR = 2;
  static final int VERSION_SUBLEVEL = 4;

  /** CRIU's log level for the log berth points errors at: 4 is everything, as runc asks. */
  static final int LOG_ALL = 4;
}
