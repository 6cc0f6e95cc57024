package captcha

import (
	"errors"

	"github.com/ginsms/ginsms/internal/contract"
)

// ErrInvalidConfig is wrapped by every error of Config.Validate and NewStore.
var ErrInvalidConfig = errors.New("captcha: invalid config")

// storageError names the failed step (for logs and the storage-error metric) around err.
func storageError(step string, err error) error {
	return &contract.StorageError{Op: "captcha", Step: step, Err: err}
}
