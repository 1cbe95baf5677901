"""Reference for fakescope_metrics::fusion (the numbers in fusion.rs's tests).

The trials of `fusion::tests::trials`, prior 0.3: scikit-learn's LogisticRegression with C = 1e6
(fakescope's ridge of 1e-6 on standardised scores, with sample weights summing to 1) on the
standardised scores, its weights and intercept brought back to the raw scores and the LLR.
Run with scikit-learn 1.x and numpy.
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
X=[];y=[]
for i in range(200):
    f = i%3==0
    u=((i*7919)%1000)/1000-0.5; v=((i*104729)%997)/997-0.5
    X.append([(0.8 if f else -0.3)+2*u, 0.5*u+v]); y.append(1 if f else 0)
X=np.array(X); y=np.array(y)
pi=0.3
nf=y.sum(); nr=len(y)-nf
sw=np.where(y==1, pi/nf, (1-pi)/nr)
mean=X.mean(0); sd=X.std(0)
Z=(X-mean)/sd
m=LogisticRegression(C=1e6, tol=1e-12, max_iter=10000, solver='lbfgs').fit(Z,y,sample_weight=sw)
w=m.coef_[0]/sd
b=m.intercept_[0]-np.log(pi/(1-pi))-(w*mean).sum()
print(repr(list(w)), repr(b))
m=LogisticRegression(C=1e6, tol=1e-12, max_iter=10000, solver='newton-cg').fit(Z,y,sample_weight=sw)
w=m.coef_[0]/sd
b=m.intercept_[0]-np.log(pi/(1-pi))-(w*mean).sum()
print(repr(list(w)), repr(b))
