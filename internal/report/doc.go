// Package report renders experiment results for people (text) and for
// machines (JSON, the contract of DESIGN.md).
package report
