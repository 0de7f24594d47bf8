#!/usr/bin/python3
# beta_min of every score coordinate, unrounded, for the data sets of smnd.json (architecture (a),
# ReLU and abs): the recession conic LP of make_smnd_reference.py (beta_min_coord, CVXOPT conelp,
# tolerances 1e-9) over all n(n-1)+2 patterns. smnd.json keeps only the maximum over the
# coordinates, rounded to 6 decimals; these values check the exact solver per coordinate.
# Usage: /usr/bin/python3 make_smnd_beta_min.py smnd.json OUT.json
import json, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_smnd_reference as ref

def main():
    doc = json.load(open(sys.argv[1]))
    out = dict(convention="per-coordinate beta_min of architecture (a) (see make_smnd_reference.py)",
               solver="CVXOPT 1.3.0 conelp, abstol = reltol = feastol = 1e-9", cases=[])
    for name, rows in doc["data"].items():
        X = np.array(rows)
        Ds = ref.patterns(X)
        Ds = Ds[Ds.sum(1) > 0]
        for act in ("relu", "abs"):
            bmin = [ref.beta_min_coord(X, list(Ds), c, act) for c in range(X.shape[1])]
            print(name, act, bmin, flush=True)
            out["cases"].append(dict(data=name, activation=act, beta_min=bmin))
    json.dump(out, open(sys.argv[2], "w"), indent=1)

if __name__ == "__main__":
    main()
