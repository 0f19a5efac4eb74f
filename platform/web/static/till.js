// The till's cart (till_pick.html): the +/− buttons beside each quantity and the running total of points against
// the volunteer's balance. Without this script the number fields still work and the server checks every limit.
(function () {
  "use strict";
  var form = document.querySelector("form.till-cart");
  if (!form) return;
  var balance = Number(form.dataset.balance);
  var total = document.getElementById("cart-total");
  var points = document.getElementById("cart-points");
  var over = document.getElementById("cart-over");
  var inputs = form.querySelectorAll("input.qty");

  function quantity(input) {
    var n = parseInt(input.value, 10);
    return isNaN(n) || n < 0 ? 0 : n;
  }

  function most(input) {
    return Number(input.max || 99);
  }

  function update() {
    var sum = 0;
    inputs.forEach(function (input) {
      var n = quantity(input);
      sum += n * Number(input.dataset.price);
      var steps = input.parentNode.querySelectorAll("button.step");
      steps[0].disabled = n <= 0;
      steps[1].disabled = n >= most(input);
    });
    points.textContent = String(sum);
    over.hidden = sum <= balance;
    total.classList.toggle("bad", sum > balance);
  }

  inputs.forEach(function (input) {
    input.parentNode.querySelectorAll("button.step").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var n = quantity(input) + Number(button.dataset.step);
        input.value = String(Math.max(0, Math.min(most(input), n)));
        update();
      });
    });
    input.addEventListener("input", update);
  });
  total.hidden = false;
  update();
})();
