package ginsms

// ScriptHash returns the SHA-1 of a script by file name ("store_code", "verify_code"),
// for tests that watch the wire.
func ScriptHash(name string) string {
	switch name {
	case "store_code":
		return storeCodeScript.Hash()
	case "verify_code":
		return verifyCodeScript.Hash()
	case "unstore_code":
		return unstoreCodeScript.Hash()
	}
	return ""
}
