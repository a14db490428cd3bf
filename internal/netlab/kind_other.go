//go:build !linux

package netlab

// ChooseKind needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func ChooseKind(want string) (string, error) { return "", errNeedLinux }

// HaveVeth reports that veth links need Linux.
func HaveVeth() error { return errNeedLinux }
