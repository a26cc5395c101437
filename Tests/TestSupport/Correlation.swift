/// Pearson's correlation of two equally long series: whether a published value moves with a known truth, whatever
/// its scale (a network's expression weights follow a rendered face's without matching its levels). nan when either
/// series is constant or they are shorter than two.
public func correlation(_ first: [Double], _ second: [Double]) -> Double {
    guard first.count == second.count, first.count > 1 else { return .nan }
    let count = Double(first.count)
    let firstMean = first.reduce(0, +) / count, secondMean = second.reduce(0, +) / count
    var product = 0.0, firstSquares = 0.0, secondSquares = 0.0
    for (a, b) in zip(first, second) {
        product += (a - firstMean) * (b - secondMean)
        firstSquares += (a - firstMean) * (a - firstMean)
        secondSquares += (b - secondMean) * (b - secondMean)
    }
    return product / (firstSquares * secondSquares).squareRoot()
}
