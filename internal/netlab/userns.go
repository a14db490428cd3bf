package netlab

// EnvUserNS is the environment variable that marks a process tcplab started
// in a user namespace of its own, so that it never re-executes itself again,
// and the stages of a trial of that mode (see ProbeUserNS).
const EnvUserNS = "TCPLAB_USERNS"

// Values of EnvUserNS.
const (
	userNSRun       = "run"        // a run re-executed into its own user namespace
	userNSTrial     = "trial"      // a trial, inside its user namespace
	userNSTrialUser = "trial-user" // a trial dropped to an unprivileged uid, about to enter one
)

// nobody is the uid and gid a root process drops to for a trial of the
// unprivileged mode.
const nobody = 65534
