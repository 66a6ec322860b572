#!/bin/sh
# Side-by-side fit time of features.LogisticRegression and scikit-learn's
# LogisticRegression(solver="lbfgs") on the same embeddings, alternating
# rounds in one run. Installs Debian's scikit-learn when missing.
set -e
cd "$(dirname "$0")/../.."
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || apt-get install -y python3-sklearn
go build -o /tmp/logreg-bench ./bench/logreg
/tmp/logreg-bench -python /usr/bin/python3 "$@"
