// Symbolic decisions for the analyses (internal; see bulwark/access/analysis.h).
#ifndef BULWARK_SRC_ACCESS_SYMBOLIC_H_
#define BULWARK_SRC_ACCESS_SYMBOLIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bulwark/access/policy_set.h"

namespace bulwark::access::internal {

// Condition conjuncts that could not be evaluated, numbered.
class AtomTable {
 public:
  int Intern(const std::string& text);
  const std::string& text(std::size_t i) const { return texts_[i]; }
  std::size_t size() const { return texts_.size(); }

 private:
  std::vector<std::string> texts_;
};

// One statement's contribution: it holds when all its atoms hold (none: always).
struct Term {
  const Statement* statement = nullptr;  // null for environment isolation
  std::vector<int> atoms;
};

struct Formula {
  std::vector<Term> allows;
  std::vector<Term> denies;
  // The decision under an assignment (bit i = atom i holds).
  bool Allowed(std::uint32_t assignment) const;
  // The statements of the terms that hold under the assignment, "A, B" ("" for none): the
  // denies when one holds, else the allows.
  std::string Deciding(std::uint32_t assignment) const;
};

// The condition of one term: "always", or its atoms joined with &&.
std::string TermCondition(const Term& t, const AtomTable& atoms);

Formula Symbolic(const PolicySet& set, const Request& request, AtomTable& atoms);

// The truth table over `atoms` (index = assignment) as a minimal sum of products: "always",
// "never", or "a && !(b) || c".
// `products` (optional) receives the number of products (0 for "always" and "never").
// `dont_care` (optional, same size) marks assignments the result may cover or not.
std::string SumOfProducts(const std::vector<bool>& truth, const AtomTable& atoms,
                          std::size_t* products = nullptr,
                          const std::vector<bool>* dont_care = nullptr);

}  // namespace bulwark::access::internal

#endif  // BULWARK_SRC_ACCESS_SYMBOLIC_H_
